"""Template tags and filters every page may use (registered as builtins in
settings, so no template loads them)."""

from django import template
from django.template import engines
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from opticrm.lib.fast_html import around_pk
from opticrm.lib.phone import dial_target, format_phone

register = template.Library()


@register.simple_tag
def pk_url(name: str, pk) -> str:
    """``{% url name pk %}`` for the rows of a table: reversed once per URL
    name, not once per row (reverse() costs some 25 µs; a table of 100 rows
    with three links each spent 7 ms on it)."""
    head, tail = around_pk(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


@register.filter(name="phone")
def phone_filter(number) -> str:
    return format_phone(number)


@register.filter
def phone_link(number) -> str:
    """A tel: link showing the number as staff dial it, or "" without one."""
    shown = format_phone(number)
    if not shown:
        return ""
    return format_html('<a href="tel:{}">{}</a>', dial_target(number), shown)


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


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """A sortable column's ``<th>``: a link that sorts by the column (again:
    the other way round) and goes back to the first page, swapping the
    table named by ``table_id``. A tag rather than an included template: a
    table's eight headers took 2 ms as includes (issue 8)."""
    state = sort_state(context, field)
    params = context.request.GET.copy()
    params["sort"] = next_sort(context, field)
    params.pop("page", None)
    url = f"?{params.urlencode()}"
    sorted_by = {"asc": ' aria-sort="ascending"', "desc": ' aria-sort="descending"'}.get(state, "")
    return format_html(
        '<th scope="col"{}>\n  <a class="sort {}" href="{}" hx-get="{}" hx-target="{}" '
        'hx-swap="outerHTML" hx-push-url="true">{}<span class="sort-icon" aria-hidden="true">'
        "</span></a>\n</th>",
        mark_safe(sorted_by),  # noqa: S308 (one of two fixed strings)
        state,
        url,
        url,
        context.get("table_id", ""),
        label,
    )


@register.simple_tag(takes_context=True)
def jinja(context, name: str) -> str:
    """The Jinja2 template ``name`` (templates/jinja2/, opticrm.lib.jinja)
    rendered with this template's context: for the rows of a hot table
    inside a Django template (STYLE.md), which Django's template language
    renders several times slower. Jinja2 escapes what it writes."""
    template = engines["jinja2"].get_template(name)
    return mark_safe(template.render(context.flatten(), context.get("request")))  # noqa: S308
