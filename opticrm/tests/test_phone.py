"""Phone numbers as staff dial them, and the tel: links of lists and pages."""

import pytest
from django.template import engines
from phonenumber_field.phonenumber import PhoneNumber

from opticrm.lib.phone import dial_target, format_phone


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
