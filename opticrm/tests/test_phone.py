"""Phone numbers as staff dial them, and the tel: links of lists and pages."""

import pytest
from django.template import engines
from phonenumber_field.phonenumber import PhoneNumber, to_python

from opticrm.lib.phone import dial_target, format_phone, stored_number


@pytest.mark.parametrize(
    ("stored", "shown", "dialled"),
    [
        ("+4915123456789", "01512 3456789", "+4915123456789"),
        ("+33123456789", "+33 1 23 45 67 89", "+33123456789"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_numbers_are_shown_nationally_and_dialled_in_e164(stored, shown, dialled):
    number = PhoneNumber.from_string(stored) if stored else stored
    assert format_phone(number) == shown
    assert dial_target(number) == dialled


def test_a_number_that_never_parsed_is_shown_as_typed():
    assert format_phone(PhoneNumber(raw_input="bitte zurückrufen")) == "bitte zurückrufen"


def test_the_link_filter_renders_one_link_or_nothing():
    template = engines["django"].from_string("{{ number|phone_link|default:'—' }}")
    number = PhoneNumber.from_string("+4915123456789")
    assert template.render({"number": number}) == ('<a href="tel:+4915123456789">01512 3456789</a>')
    assert template.render({"number": ""}) == "—"


@pytest.mark.parametrize(
    "stored",
    [
        "+4915123456789",  # mobile
        "+49301234567",  # Berlin
        "+4989123456",  # Munich
        "+493328123",  # short, invalid as typed once
        "+491",  # too short to parse
        "+49123456789012345678",  # too long to parse
        "+49²",  # a digit to isdigit(), not to int()
        "+33123456789",
        "+390612345678",  # Rome: the zero belongs to the number
        "+12015550123",
        "bitte zurückrufen",
        "",
        None,
    ],
)
def test_a_stored_number_reads_as_the_field_reads_it(stored):
    """The table's fast read (stored_number) shows and dials what the model
    field's own reading does."""
    field_reads = to_python(stored)
    assert format_phone(stored_number(stored)) == format_phone(field_reads)
    assert dial_target(stored_number(stored)) == dial_target(field_reads)
