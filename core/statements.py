"""Statements the ORM writes once per process: the hot path of a transition sends the same few statements every
time, only with other values.

Django builds and compiles a queryset again at every call. For ``fire`` that took three times as long as
PostgreSQL took to run its statements (a 0.3 ms query behind 2.5 ms of filter resolution and compilation). Here
the ORM still writes every statement from the models, once per process and database:

- ``Shape`` is a SELECT: the queryset is built and compiled with stand-in values (twice, with two sets, to find
  where each value goes and to prove the SQL does not depend on them). Each call sends the same SQL with its
  own values and builds the model objects the queryset would (``from_db``, ``select_related``, annotations),
  or, for a ``values_list()`` queryset, its tuples (the fields' converters applied), with no model object.
- ``update`` and ``insert`` are ``save(update_fields=…)`` and ``save(force_insert=True)`` for one row: the
  statement is made from the model's fields and each value goes through the field's ``pre_save`` and
  ``get_db_prep_save``, as ``save`` does. A model with save signals connected, inherited tables or
  database-side defaults goes through ``save`` itself.

The statements share one Django cursor per connection (``cursor``): making a cursor cost as much as sending a
short statement.

``together()`` sends the single-row writes of a block as one statement on PostgreSQL (each in a ``WITH``
clause of its own): a statement costs its process about 35 µs and PostgreSQL 20 µs beyond its own work.

Nothing here knows a table or a column: both come from the models (docs/adr/0003-hot-paths.md, decision 18).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import Field, ForeignObjectRel, Model, QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

# Stand-in values: two sets, so that a value the ORM copies unchanged into the parameters is told apart from a
# constant of the query. Integers fit a 32-bit column; strings are no real code or name.
_STAND_INS: dict[type, tuple[Callable[[int], Any], Callable[[int], Any]]] = {
    int: (lambda i: 1_900_000_000 + 2 * i, lambda i: 1_900_000_001 + 2 * i),
    str: (lambda i: f"\ue000kc-a-{i}", lambda i: f"\ue000kc-b-{i}"),
}

# What this module keeps on Django's connection object (not attributes of its class: set and read by name).
_KEPT_CURSOR = "_kc_statement_cursor"
_TOGETHER = "_kc_together"
_TOGETHER_AT = "_kc_together_at"


def cursor(alias: str = "default"):
    """Django's cursor for ``alias``, made once per database session and reused by each statement sent through it.

    A new one is made when the session is a new one (reconnected), when query logging was switched on or off
    since (``CaptureQueriesContext``, DEBUG: the logging cursor is another class), or when it was closed. On
    SQLite (``make run``) each call makes one, as its cursor cannot tell whether it was closed. A
    caller reads its results before it returns; the next statement discards them."""
    connection = connections[alias]
    logged = connection.queries_logged
    kept = getattr(connection, _KEPT_CURSOR, None)
    if kept is not None:
        wrapper, session, was_logged = kept
        if session is connection.connection and was_logged == logged and not wrapper.cursor.closed:
            connection.validate_thread_sharing()
            return wrapper
    wrapper = connection.cursor()
    if hasattr(
        wrapper.cursor, "closed"
    ):  # psycopg's cursor tells whether it was closed; SQLite's cannot: not kept
        setattr(connection, _KEPT_CURSOR, (wrapper, connection.connection, logged))
    return wrapper


class ShapeError(TypeError):
    """The queryset cannot be written once for all values (a programming error, raised at the first call)."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the query's constants, and None where a value goes
    slots: tuple[tuple[int, str], ...]  # (position in params, value's name)
    for_update: bool
    model: type[Model]
    start: int  # the model's columns in a row: row[start:end]
    end: int
    init_list: tuple[str, ...]
    populators: tuple
    annotations: tuple[tuple[str, int], ...]
    converters: dict
    compiler: Any
    col_count: int
    tuples: bool  # a values_list() queryset: its rows as tuples, no model object


class Shape:
    """A SELECT whose SQL the ORM writes once per process and database.

    ``build`` takes the values as keyword arguments (their types in ``params``: ``int`` or ``str``) and returns
    the queryset, with no prefetch and no ordering the rows depend on beyond what the SQL says::

        LOCK = Shape(Proposal, lambda pk: Proposal.objects.select_for_update().filter(pk=pk).order_by(), pk=int)
        proposal = LOCK.one(pk=7)
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], **params: type) -> None:
        unknown = {name: kind for name, kind in params.items() if kind not in _STAND_INS}
        if unknown:
            raise ShapeError(f"values must be int or str: {unknown}")
        self._model, self._build, self._params = model, build, params
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._build_fields: tuple[str, ...] | None = None

    def list(self, **values: Any) -> list:
        """The model objects (or a ``values_list()``'s tuples) the queryset built with ``values`` gives, in the
        SQL's order."""
        if values.keys() != self._params.keys():
            raise TypeError(f"expected the values {sorted(self._params)}, got {sorted(values)}")
        wrong = [name for name, value in values.items() if not isinstance(value, self._params[name])]
        if wrong:
            raise TypeError(f"values of the wrong type (None included): {sorted(wrong)}")
        alias = router.db_for_read(self._model)
        compiled = self._compiled.get(alias) or self._compile(alias)
        connection = connections[alias]
        if compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        statement = cursor(alias)
        statement.execute(compiled.sql, params)
        rows = statement.fetchall()
        if not rows:
            return []
        if len(rows[0]) > compiled.col_count:
            rows = [row[: compiled.col_count] for row in rows]
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.tuples:
            return [tuple(row) for row in rows]
        objects = []
        for row in rows:
            obj = compiled.model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for attr, position in compiled.annotations:
                setattr(obj, attr, row[position])
            objects.append(obj)
        return objects

    def one(self, **values: Any) -> Any:
        """The only row, or None (a shape selecting by a unique key: more than one row is an error)."""
        rows = self.list(**values)
        if len(rows) > 1:
            raise DatabaseError(f"expected at most one row, got {len(rows)}")
        return rows[0] if rows else None

    def _compile(self, alias: str) -> _Compiled:
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            sets = [
                {name: _STAND_INS[kind][k](i) for i, (name, kind) in enumerate(self._params.items())}
                for k in (0, 1)
            ]
            (sql_a, params_a, compiler), (sql_b, params_b, _) = (self._sql(alias, s) for s in sets)
            if sql_a != sql_b or len(params_a) != len(params_b):
                raise ShapeError("the SQL of this queryset depends on its values")
            by_value = {value: name for name, value in sets[0].items()}
            slots, constants = [], list(params_a)
            for position, (a, b) in enumerate(zip(params_a, params_b, strict=True)):
                if a == b:
                    continue
                name = by_value.get(a)
                if name is None or sets[1][name] != b:
                    raise ShapeError(f"a value reaches the SQL changed (parameter {position}: {a!r})")
                slots.append((position, name))
                constants[position] = None
            missing = set(self._params) - {name for _, name in slots}
            if missing:
                raise ShapeError(f"values not found in the SQL: {sorted(missing)}")
            query, select = compiler.query, compiler.select
            converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
            if self._build_fields is not None or compiler.klass_info is None:
                compiled = self._tuples(sql_a, constants, slots, compiler, converters)
            else:
                klass_info = compiler.klass_info
                fields = klass_info["select_fields"]
                start, end = fields[0], fields[-1] + 1
                compiled = _Compiled(
                    sql=sql_a,
                    params=tuple(constants),
                    slots=tuple(slots),
                    for_update=query.select_for_update,
                    model=klass_info["model"],
                    start=start,
                    end=end,
                    init_list=tuple(f[0].target.attname for f in select[start:end]),
                    # Django 5.2 takes no fetch_mode: the stubs follow Django 6.1.
                    populators=tuple(get_related_populators(klass_info, select, alias)),  # type: ignore[call-arg]
                    annotations=tuple(compiler.annotation_col_map.items()),
                    converters=converters,
                    compiler=compiler,
                    col_count=compiler.col_count,
                    tuples=False,
                )
            self._compiled[alias] = compiled
            return compiled

    def _tuples(
        self, sql: str, constants: Sequence[Any], slots: Sequence[tuple[int, str]], compiler, converters: dict
    ) -> _Compiled:
        """A ``values_list()`` queryset (not flat, not named): its columns are the SQL's, in the order asked for
        (its fields, then its annotations: the order the SQL gives them)."""
        query = compiler.query
        fields = self._build_fields
        if query.model is None or not fields:
            raise ShapeError("a Shape selects model objects or a values_list()'s tuples, naming its fields")
        if query.extra_select or list(fields) != [*query.values_select, *query.annotation_select]:
            raise ShapeError("a values_list() Shape names its fields first and its annotations last")
        return _Compiled(
            sql=sql,
            params=tuple(constants),
            slots=tuple(slots),
            for_update=query.select_for_update,
            model=query.model,
            start=0,
            end=0,
            init_list=(),
            populators=(),
            annotations=(),
            converters=converters,
            compiler=compiler,
            col_count=compiler.col_count,
            tuples=True,
        )

    def _sql(self, alias: str, values: dict) -> tuple[str, tuple, Any]:
        qs = self._build(**values)
        # The fields of a values_list() queryset giving plain tuples (None for any other kind).
        # _fields, _prefetch_related_lookups and _known_related_objects: QuerySet's own, not in django-stubs.
        fields = qs._fields  # type: ignore[attr-defined]
        if fields is not None and qs._iterable_class is not ValuesListIterable:
            raise ShapeError("a Shape selects model objects or a values_list()'s tuples")
        self._build_fields = tuple(fields) if fields is not None else None
        if qs.model is not self._model:
            raise ShapeError(f"the queryset selects {qs.model.__name__}, not {self._model.__name__}")
        if qs._prefetch_related_lookups or qs._known_related_objects:  # type: ignore[attr-defined]
            raise ShapeError("a Shape cannot prefetch or carry known related objects")
        if qs.query.is_sliced and qs.query.high_mark is None:
            raise ShapeError("a Shape's slice needs an end")
        compiler = qs.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        return sql, tuple(params), compiler


# --- writes of one row -------------------------------------------------------------------------------------


_writes: dict[tuple, tuple[str, tuple]] = {}


def column_of(field: Field | ForeignObjectRel) -> str:
    """A model field's column (a relation's other side, or a field with no column of its own, has none)."""
    if not isinstance(field, Field) or field.column is None:
        raise ShapeError(f"{field} has no column")
    return field.column


_static_plain: dict[type[Model], bool] = {}


def _plain(model: type[Model]) -> bool:
    """A model whose save is one statement on its own table and nothing else (the signals are asked at every
    call: a receiver may be connected at any time)."""
    if model not in _static_plain:
        meta = model._meta
        _static_plain[model] = not (
            meta.parents
            or any(f.has_db_default() for f in meta.concrete_fields)
            or list(meta.db_returning_fields) != [meta.pk]
        )
    return _static_plain[model] and not (pre_save.has_listeners(model) or post_save.has_listeners(model))


def update(instance: Model, fields: Iterable[str]) -> None:
    """``instance.save(update_fields=fields)``: one UPDATE by primary key, without building a queryset."""
    fields = tuple(fields)
    model = type(instance)
    if not _plain(model) or instance.pk is None:
        instance.save(update_fields=fields)
        return
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    key = ("update", alias, model, fields)
    if key not in _writes:
        meta, qn = model._meta, connection.ops.quote_name
        # A relation's other side (ForeignObjectRel) is no Field: dropped here, it fails the count.
        targets = tuple(f for f in map(meta.get_field, fields) if isinstance(f, Field))
        if len(targets) != len(fields) or any(
            not f.concrete or f.primary_key or f.many_to_many for f in targets
        ):
            raise ShapeError(f"update() writes a row's own columns, not {fields}")
        sets = ", ".join(f"{qn(column_of(f))} = %s" for f in targets)
        sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(column_of(meta.pk))} = %s"  # noqa: S608 - from the model
        _writes[key] = (sql, targets)
    sql, targets = _writes[key]
    values = [f.pre_save(instance, False) for f in targets]
    if any(hasattr(v, "resolve_expression") for v in values):
        instance.save(update_fields=fields)  # an F() or another expression: the ORM compiles it
        return
    params = [f.get_db_prep_save(v, connection) for f, v in zip(targets, values, strict=True)]
    params.append(model._meta.pk.get_db_prep_value(instance.pk, connection))
    instance._state.db = alias
    pending = _waiting(connection)
    if pending is not None:
        pending.append(_Write(sql, params, instance, None))
        return
    statement = cursor(alias)
    statement.execute(sql, params)
    if statement.rowcount != 1:
        raise DatabaseError(_NO_ROW)


def insert(instance: Model) -> None:
    """``instance.save(force_insert=True)``: one INSERT … RETURNING the new primary key."""
    model = type(instance)
    if not _plain(model):
        instance.save(force_insert=True)
        return
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    meta = model._meta
    auto = instance.pk is None and meta.auto_field is not None
    key = ("insert", alias, model, auto)
    if key not in _writes:
        qn = connection.ops.quote_name
        targets = tuple(f for f in meta.local_concrete_fields if not (auto and f is meta.auto_field))
        columns = ", ".join(qn(column_of(f)) for f in targets)
        marks = ", ".join(["%s"] * len(targets))
        returning = (
            f" RETURNING {qn(column_of(meta.pk))}"
            if connection.features.can_return_columns_from_insert
            else ""
        )
        sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks}){returning}"  # noqa: S608
        _writes[key] = (sql, targets)
    sql, targets = _writes[key]
    values = [f.pre_save(instance, True) for f in targets]
    if any(hasattr(v, "resolve_expression") for v in values):
        instance.save(force_insert=True)
        return
    params = [f.get_db_prep_save(v, connection) for f, v in zip(targets, values, strict=True)]
    pending = _waiting(connection) if auto else None
    if pending is not None:
        pending.append(_Write(sql, params, instance, meta.pk.attname))
        instance._state.adding, instance._state.db = False, alias
        return
    statement = cursor(alias)
    statement.execute(sql, params)
    if auto:
        if connection.features.can_return_columns_from_insert:
            pk = statement.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(statement, meta.db_table, column_of(meta.pk))
        setattr(instance, meta.pk.attname, pk)
    instance._state.adding, instance._state.db = False, alias


# --- several writes in one statement -------------------------------------------------------------------------

_NO_ROW = "Save with update_fields did not affect any rows."


@dataclass(frozen=True)
class _Write:
    sql: str  # an UPDATE of one row by primary key, or an INSERT … RETURNING the new primary key
    params: list
    instance: Model
    pk_attname: str | None  # an insert: where its new primary key goes


@contextmanager
def together(alias: str = "default") -> Iterator[None]:
    """The ``update()`` and ``insert()`` calls inside the block go to PostgreSQL as one statement when the block
    ends, each in a ``WITH`` clause of its own, in the order they were made (a single write is sent as it is)::

        with together():
            update(proposal, ["status"])
            update(task, ["completed_at"])

    What the statements would do one by one, they do in one: each update must find its row (else DatabaseError,
    as ``save(update_fields=…)`` raises), each insert's new primary key is set on its instance when the block
    ends, not before. Any other statement sent on the connection meanwhile (a read inside the block) first
    sends the writes waiting, so it sees them. An exception inside the block sends nothing. The writes share
    one snapshot, as the statements of a data-modifying ``WITH`` do: they must not depend on each other's effects
    (two rows of one partial unique index, one leaving it and one entering it, belong to separate blocks).
    A write inside a transaction or savepoint begun within the block goes out at once (the waiting ones first):
    it must not leave its transaction. Elsewhere than PostgreSQL each write goes out at once; inside another such
    block it joins the outer one.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql" or getattr(connection, _TOGETHER, None) is not None:
        yield
        return
    setattr(connection, _TOGETHER, [])
    setattr(connection, _TOGETHER_AT, _transaction_state(connection))

    def send_waiting_first(execute, sql, params, many, context):
        _flush(connection, alias)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(send_waiting_first):
            yield
            _flush(connection, alias)
    finally:
        setattr(connection, _TOGETHER, None)


def _transaction_state(connection) -> tuple[bool, int]:
    return connection.in_atomic_block, len(connection.savepoint_ids)


def _waiting(connection) -> list[_Write] | None:
    """The list a write joins inside a together() block, or None when it must go out now: outside a block, or in
    a transaction or savepoint begun inside it (after sending what waits, so that the order is kept)."""
    pending = getattr(connection, _TOGETHER, None)
    if pending is None:
        return None
    if _transaction_state(connection) != getattr(connection, _TOGETHER_AT):
        _flush(connection, connection.alias)
        return None
    return pending


def _flush(connection, alias: str) -> None:
    writes = getattr(connection, _TOGETHER)
    setattr(connection, _TOGETHER, [])
    if not writes:
        return
    statement = cursor(alias)
    if len(writes) == 1:
        (write,) = writes
        statement.execute(write.sql, write.params)
        _settle(write, statement.rowcount if write.pk_attname is None else statement.fetchone()[0])
        return
    # The clauses' names are made here and each write's SQL comes from its model (update() and insert()).
    clauses, results, params = [], [], []
    for i, write in enumerate(writes):
        name = f"kc_w{i}"
        if write.pk_attname is None:
            clauses.append(f"{name} AS ({write.sql} RETURNING 1)")
            results.append(f"(SELECT count(*) FROM {name})")  # noqa: S608
        else:
            clauses.append(f"{name} AS ({write.sql})")
            results.append(f"(SELECT * FROM {name})")  # noqa: S608
        params += write.params
    statement.execute(f"WITH {', '.join(clauses)} SELECT {', '.join(results)}", params)
    for write, value in zip(writes, statement.fetchone(), strict=True):
        _settle(write, value)


def _settle(write: _Write, value) -> None:
    """What a write's statement gave back: an update's row count (it must have found its row), an insert's new
    primary key (set on its instance)."""
    if write.pk_attname is None:
        if value != 1:
            raise DatabaseError(_NO_ROW)
    else:
        setattr(write.instance, write.pk_attname, value)
