import pytest

from appointments.tests.factories import calendar_for


@pytest.fixture
def staff(staff):
    """Front desk as in the shared fixture, with a calendar: takes appointments."""
    calendar_for(staff)
    return staff


@pytest.fixture
def colleague(owner):
    """A second person with a calendar: the owner, Ines Inhaber."""
    calendar_for(owner)
    return owner
