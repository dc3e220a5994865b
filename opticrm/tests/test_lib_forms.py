"""opticrm.lib.forms: dates as opticians type them (issue 23). The parsing
itself is pure (``parse_day`` with an explicit today); the form field uses
the shop's today."""

import datetime

import pytest
from django import forms
from django.utils import translation

from opticrm.lib.forms import DateField, DateInput, PageSizeForm, full_year, parse_day, posted_int

TODAY = datetime.date(2026, 12, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.4.61", datetime.date(1961, 4, 3)),
        ("03.04.61", datetime.date(1961, 4, 3)),
        ("3.4.1961", datetime.date(1961, 4, 3)),
        ("03.04.1961", datetime.date(1961, 4, 3)),
        ("3. 4. 1961", datetime.date(1961, 4, 3)),
        (" 03.04.1961 ", datetime.date(1961, 4, 3)),
        ("1961-04-03", datetime.date(1961, 4, 3)),
        # 05 is 2005: not in the future.
        ("1.1.05", datetime.date(2005, 1, 1)),
        # This year's: today and earlier this year, not later.
        ("5.12.26", datetime.date(2026, 12, 5)),
        ("1.3.26", datetime.date(2026, 3, 1)),
        ("6.12.26", datetime.date(1926, 12, 6)),
        ("24.12.26", datetime.date(1926, 12, 24)),
        ("1.1.27", datetime.date(1927, 1, 1)),
        ("31.12.99", datetime.date(1999, 12, 31)),
        ("1.1.00", datetime.date(2000, 1, 1)),
        # 29 February of leap years, with two or four digits.
        ("29.2.24", datetime.date(2024, 2, 29)),
        ("29.02.1960", datetime.date(1960, 2, 29)),
        ("29.2.00", datetime.date(2000, 2, 29)),
        ("29.2.28", datetime.date(1928, 2, 29)),  # 2028 is still to come
    ],
)
def test_two_digit_years_of_the_past(text, expected):
    assert parse_day(text, two_digit_years="past", today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.4.27", datetime.date(2027, 4, 3)),
        ("3.4.26", datetime.date(2026, 4, 3)),
        ("24.12.26", datetime.date(2026, 12, 24)),
        ("1.1.61", datetime.date(2061, 1, 1)),  # 35 years ahead, 65 back
        ("1.1.80", datetime.date(1980, 1, 1)),  # 46 years back, 54 ahead
        ("1.1.76", datetime.date(1976, 1, 1)),  # 50 either way: the past
        ("1.1.75", datetime.date(2075, 1, 1)),
        ("3.4.1961", datetime.date(1961, 4, 3)),  # four digits are what they say
        ("29.2.28", datetime.date(2028, 2, 29)),
    ],
)
def test_two_digit_years_near_today(text, expected):
    assert parse_day(text, two_digit_years="near", today=TODAY) == expected


def test_near_a_new_century():
    today = datetime.date(2098, 6, 1)
    assert parse_day("1.1.02", two_digit_years="near", today=today) == datetime.date(2102, 1, 1)
    assert parse_day("1.1.02", two_digit_years="past", today=today) == datetime.date(2002, 1, 1)
    assert full_year(99, 1, 1, two_digit_years="past", today=datetime.date(2100, 1, 1)) == 2099


@pytest.mark.parametrize(
    "text",
    [
        "31.4.61",  # April has 30 days
        "29.2.25",  # not a leap year
        "29.2.1900",  # nor is 1900
        "32.1.61",
        "1.13.61",
        "0.1.61",
        "3.4.961",
        "3.4.",
        "3.4",
        "61",
        "",
        "heute",
        "3/4/61",
        "1961-4-3",
        "1961-02-30",
        "99999999999999999999",
        "31.12.9999 23:59",
        "3.4.61x",
        "0000-01-01",
    ],
)
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(ValueError):
        parse_day(text, two_digit_years="past", today=TODAY)


def test_an_unknown_rule_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_day("3.4.61", two_digit_years="future", today=TODAY)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DateField(two_digit_years="soon")  # type: ignore[arg-type]


class BirthForm(forms.Form):
    born = DateField(two_digit_years="past")
    seen = DateField(two_digit_years="near", required=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.4.61", "Bitte ein gültiges Datum eingeben."),
        ("Quatsch", "Bitte ein gültiges Datum eingeben."),
        ("\x00", "Bitte ein gültiges Datum eingeben."),
    ],
)
def test_the_field_refuses_in_german(text, message):
    with translation.override("de"):
        form = BirthForm({"born": text})
        assert not form.is_valid()
        assert form.errors["born"] == [message]


def test_the_field_reads_two_digit_years_as_told():
    form = BirthForm({"born": "3.4.61", "seen": "3.4.61"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"] == datetime.date(1961, 4, 3)
    # Near today, whatever today is: within 50 years of it.
    assert abs(form.cleaned_data["seen"].year - datetime.date.today().year) <= 50
    assert form.cleaned_data["seen"].year % 100 == 61


def test_the_field_shows_dates_the_german_way():
    form = BirthForm(initial={"born": datetime.date(1961, 4, 3)})
    html = str(form["born"])
    assert 'value="03.04.1961"' in html and 'inputmode="numeric"' in html
    assert isinstance(form.fields["born"].widget, DateInput)
    unchanged = BirthForm({"born": "3.4.61"}, initial={"born": datetime.date(1961, 4, 3)})
    assert not unchanged.has_changed()


def test_page_size_falls_back_to_the_first_size():
    assert PageSizeForm({"page_size": "50"}, sizes=[25, 50]).size == 50
    assert PageSizeForm({"page_size": "7"}, sizes=[25, 50]).size == 25
    assert PageSizeForm({}, sizes=[25, 50]).size == 25


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", 0),
        ("999999999", 999999999),
        ("1000000000", None),
        ("", None),
        (None, None),
        ("-3", None),
        ("3.0", None),
        ("²", None),
        ("٣", None),
        ("1e3", None),
    ],
)
def test_posted_int_reads_only_plain_digits(value, expected):
    assert posted_int(value) == expected
