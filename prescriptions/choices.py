"""Choices of refraction and fitting fields, free of the models so that
notation code can use them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PrismBaseHorizontal(models.TextChoices):
    IN = "in", _("in")
    OUT = "out", _("out")


class PrismBaseVertical(models.TextChoices):
    UP = "up", _("up")
    DOWN = "down", _("down")


class Replacement(models.TextChoices):
    DAILY = "daily", _("Daily lens")
    TWO_WEEKS = "two_weeks", _("Two-week lens")
    MONTHLY = "monthly", _("Monthly lens")
    YEARLY = "yearly", _("Yearly lens")
