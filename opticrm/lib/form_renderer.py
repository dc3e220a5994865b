"""Django's form renderer with its most used widgets built in Python.

A <select> renders each option through a template include, some 50 µs
apiece; the filter bars' insurer, brand and supplier lists made that a
third of a list page's time (issue 8). Every <input> is two includes deep
(text.html → input.html → attrs.html): the filter bars' inputs were a fifth
of a list page after that. The output is the same markup, byte for byte
(tests compare it with Django's templates)."""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
SELECT = WIDGETS + "select.html"
OPTION = WIDGETS + "select_option.html"
TEXTAREA = WIDGETS + "textarea.html"
# Django's templates that are nothing but an include of input.html.
INPUTS = frozenset(
    WIDGETS + name
    for name in [
        "input.html",
        "checkbox.html",
        "color.html",
        "date.html",
        "datetime.html",
        "email.html",
        "file.html",
        "hidden.html",
        "number.html",
        "password.html",
        "search.html",
        "tel.html",
        "text.html",
        "time.html",
        "url.html",
    ]
)


def _text(value) -> str:
    """As ``{{ value|stringformat:'s' }}``: the filter drops a safe string's
    mark, so the value is always escaped."""
    return conditional_escape("%s" % (value,))  # noqa: UP031 (the filter's own formatting)


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves out, True names only."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(parts)


def render_select(widget: dict) -> SafeString:
    html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            html.append(
                f'\n  <option value="{_text(option["value"])}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(localize(option['label']))}"
                "</option>\n"
            )
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return mark_safe("".join(html))  # noqa: S308 (every value escaped above)


def render_input(widget: dict) -> SafeString:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return mark_safe(  # noqa: S308 (every value escaped)
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def render_textarea(widget: dict) -> SafeString:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return mark_safe(  # noqa: S308 (every value escaped)
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _plain(widget: dict) -> bool:
    """Only options that use Django's own option template (a widget with its
    own keeps it)."""
    return all(
        option["template_name"] == OPTION
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if widget is not None:
            if template_name in INPUTS:
                return render_input(widget)
            if template_name == SELECT and _plain(widget):
                return render_select(widget)
            if template_name == TEXTAREA:
                return render_textarea(widget)
        return super().render(template_name, context, request)
