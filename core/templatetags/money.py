from django import template

from core.money import format_vnd

register = template.Library()


@register.filter
def vnd(value) -> str:
    """1234567 → "1.234.567 ₫"; None → "—"."""
    if value in (None, ""):
        return format_vnd(None)
    try:
        return format_vnd(int(value))
    except (TypeError, ValueError):
        return str(value)
