import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils.dateformat import format as django_date_format
from django.utils.formats import get_format
from django.utils.html import escape as django_escape
from django.utils.translation import gettext_lazy, override

from opticrm.lib.fast_html import date_formatter, escape

MOMENTS = [
    datetime.date(2026, 11, 23),
    datetime.date(1931, 1, 5),
    datetime.date(2000, 12, 31),
    datetime.datetime(2026, 3, 1, 7, 5, 9, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime.datetime(2027, 10, 30, 23, 59, tzinfo=ZoneInfo("Europe/Berlin")),
]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("setting", ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT"])
def test_dates_read_as_djangos_date_filter_writes_them(language, setting):
    with override(language):
        django_format = get_format(setting)
        formatter = date_formatter(django_format)
        for moment in MOMENTS:
            if "DATETIME" in setting and not isinstance(moment, datetime.datetime):
                continue
            assert formatter(moment) == django_date_format(moment, django_format)


@pytest.mark.parametrize(
    "django_format", ["d.m.", "j.n.y", "H:i:s", r"\d\a\y d", "{d}.m", "D, d.m.Y"]
)
def test_literals_braces_and_names_of_days(django_format):
    moment = datetime.datetime(2026, 2, 3, 4, 5, 6)
    with override("de"):
        assert date_formatter(django_format)(moment) == django_date_format(moment, django_format)


def test_german_short_date():
    assert date_formatter("d.m.Y")(datetime.date(2026, 11, 23)) == "23.11.2026"


def test_escape_matches_django_also_for_lazy_text():
    text = '<b>"Müller" & O\'Neil</b>'
    assert escape(text) == django_escape(text)
    assert escape(gettext_lazy("Edit")) == str(django_escape(gettext_lazy("Edit")))
    assert escape(5) == "5"
