"""Login throttling (django-axes) for every sign-in that comes with an HTTP request, and the password backend
that reads a signed-in user with their roles."""

from functools import cache

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' check, except for ``authenticate()`` calls without a request (the shell, the test client's
    ``login()``): there is no client to throttle, and ModelBackend still checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UserBackend(ModelBackend):
    """Django's ModelBackend, except that the signed-in user of a request is read with their role names in one
    statement built from the models' metadata: every staff page asks for the roles (the menus, the permission
    checks), and the two ORM statements it replaces cost three times its time to build. Plain joins, one row
    per role, so that it runs on SQLite (``make run``) as on PostgreSQL."""

    def get_user(self, user_id):
        from django.db import connections

        from .models import User

        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        sql, attnames = _user_with_roles_sql()
        db = User._default_manager.db
        with connections[db].cursor() as cursor:
            cursor.execute(sql, [pk])
            rows = cursor.fetchall()
        if not rows:
            return None
        user = User.from_db(db, attnames, rows[0][:-1])
        if not self.user_can_authenticate(user):  # an inactive user, as ModelBackend refuses them
            return None
        # User.role_names' value, kept as that cached property (a user without a role has one row, name NULL).
        user.__dict__["role_names"] = frozenset(row[-1] for row in rows if row[-1] is not None)
        return user


@cache
def _user_with_roles_sql() -> tuple[str, list[str]]:
    """``SELECT <every user column>, <a group name> FROM <user> LEFT JOIN <their groups> WHERE id = %s`` and the
    field names of the user's columns, from the models' metadata."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from .models import User
    from .statements import column_of

    q = connection.ops.quote_name
    fields = User._meta.concrete_fields
    through, group = User.groups.through._meta, Group._meta
    user_col = User.groups.field.m2m_column_name()
    group_col = User.groups.field.m2m_reverse_name()
    columns = ", ".join(f"u.{q(column_of(f))}" for f in fields)
    sql = (
        f"SELECT {columns}, g.{q(column_of(group.get_field('name')))} FROM {q(User._meta.db_table)} u"  # noqa: S608
        f" LEFT JOIN {q(through.db_table)} ug ON ug.{q(user_col)} = u.{q(column_of(User._meta.pk))}"
        f" LEFT JOIN {q(group.db_table)} g ON g.{q(column_of(group.pk))} = ug.{q(group_col)}"
        f" WHERE u.{q(column_of(User._meta.pk))} = %s"
    )
    return sql, [f.attname for f in fields]
