"""``{{ user|decides_advances }}``: does the user hold the role that pays or refuses some track's advances (the
staff menu's link to the requested advances, workflow/views/advances.py). It depends only on the user's roles
and the configuration, as the cached menus require (core/templatetags/shell.py)."""

from django import template

from workflow.views.advances import decides_advances as _decides_advances

register = template.Library()


@register.filter
def decides_advances(user) -> bool:
    return bool(user) and _decides_advances(user)
