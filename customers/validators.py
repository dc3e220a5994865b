"""Plausibility rules for customer dates, shared by model, forms and API."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_AGE_YEARS = 120


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def validate_not_in_future(value: datetime.date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date must not be in the future."), code="future")


def validate_date_of_birth(value: datetime.date) -> None:
    if not value:
        return
    validate_not_in_future(value)
    if value < years_before(timezone.localdate(), MAX_AGE_YEARS):
        raise ValidationError(
            _("The date of birth must not be more than %(years)d years ago."),
            code="too_old",
            params={"years": MAX_AGE_YEARS},
        )
