"""The Jinja2 environment for the few partials where Django's template
language costs more than the page's queries (STYLE.md: a hot partial in
Jinja2, autoescape on, markup in a template file). It offers what those
templates need of Django: gettext, German dates as the ``date`` filter
writes them (``berlin``, the local time, for what a format cannot say,
as the weekday in Berlin), URLs and row URLs, a choice field's label (``choice``),
``floatformat`` and ``phone_link`` as the template filters write them.

Translatable text is the ``_`` function called with one string literal in
``{{ }}``, followed by ``|format(name=…)`` for placeholders: that is the form
makemessages finds in a template (it reads Jinja2 files as Django
templates); plurals are made in Python (opticrm.tests.test_project)."""

import datetime
import functools

from django.template.defaultfilters import filesizeformat, floatformat
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext
from jinja2 import Environment, StrictUndefined

from opticrm.lib import display
from opticrm.lib.fast_html import around_pk, date_formatter
from opticrm.templatetags.common import phone_link

_formatter = functools.lru_cache(maxsize=64)(date_formatter)


def date(value, django_format: str) -> str:
    """Django's ``date`` (and ``time``) filter: an aware time in the
    current time zone, "" for None."""
    if value is None:
        return ""
    if django_format.isupper():  # a format setting's name, as "SHORT_DATE_FORMAT"
        django_format = get_format(django_format)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return _formatter(django_format)(value)


def money(value) -> str:
    """As the ``money`` filter of the templates: 1.234,50 €, "—" for none."""
    return "—" if value is None or value == "" else display.money(value)


def choice(instance, field_name: str):
    """As ``instance.get_<field_name>_display()``: the label of the field's
    value (the value itself where it has none), with the field's choices
    translated once per language instead of on every call (Django's builds
    and hashes the whole list of lazy labels each time)."""
    value = getattr(instance, field_name)
    return display.choice_labels(type(instance), field_name).get(value, value)


def pk_url(name: str, pk) -> str:
    """As the ``pk_url`` tag: the URL named ``name`` for the row ``pk``,
    reversed once per name."""
    head, tail = around_pk(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


@functools.lru_cache(maxsize=256)
def _url(name: str, script_prefix: str) -> str:
    return reverse(name)


def url(name: str) -> str:
    """The URL named ``name`` (one without arguments)."""
    return _url(name, get_script_prefix())


def environment(**options) -> Environment:
    # Undefined names fail loudly: a typo must not render as nothing.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update({"_": gettext, "url": url, "pk_url": pk_url, "static": static})
    env.filters.update(
        {
            "date": date,
            "money": money,
            "filesize": filesizeformat,
            "floatformat": floatformat,
            # The time in the current time zone (Europe/Berlin): Django's
            # timezone.localtime, named so as not to read as SQL's keyword.
            "berlin": timezone.localtime,
            "choice": choice,
            "phone_link": phone_link,
        }
    )
    return env
