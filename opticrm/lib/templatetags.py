"""Template helpers every page may use (registered as builtins in settings)."""

from django import template

from opticrm.lib.phone import format_phone

register = template.Library()


@register.filter(name="phone")
def phone_filter(number) -> str:
    return format_phone(number)


@register.simple_tag(takes_context=True)
def sort_state(context, field: str) -> str:
    """ "asc", "desc" or "" for a column, from the table's current sort."""
    current = context.get("current_sort") or ""
    if current == field:
        return "asc"
    if current == f"-{field}":
        return "desc"
    return ""


@register.simple_tag(takes_context=True)
def next_sort(context, field: str) -> str:
    """The sort a click on a column header asks for: ascending first, then descending."""
    return f"-{field}" if context.get("current_sort") == field else field
