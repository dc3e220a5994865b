import datetime

import pytest
import time_machine
from django.utils import timezone


@pytest.fixture
def noon():
    """The shop's clock at noon today (ticking): the morning's appointments
    have passed, the afternoon's lie ahead, whenever the suite runs."""
    moment = datetime.datetime.combine(
        timezone.localdate(), datetime.time(12), tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(moment, tick=True):
        yield moment
