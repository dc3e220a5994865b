"""Sections other apps contribute to the customer page.

Appointments and prescriptions depend on customers, never the other way
round: each registers what it shows on a customer's page (in its AppConfig's
``ready``), and the customer page renders whatever is registered, in order."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import QuerySet
from django.http import HttpRequest

from customers.models import Customer


@dataclass(frozen=True)
class Section:
    name: str  # unique, e.g. "prescriptions"
    # A Jinja2 template (templates/jinja2/, opticrm.lib.jinja): the page is
    # read all day, and Django's template language cost a third of it. It
    # gets the page's context, its own as ``section``.
    template: str
    # The section's template context for this customer and user; None hides
    # the section (no permission, nothing to show).
    context: Callable[[Customer, HttpRequest], dict | None]
    order: int = 100
    # What the section needs to know of every customer, read with the
    # customer's row instead of a query of its own (e.g. whether there are
    # contact lens fittings at all: most customers have none).
    annotate: Callable[[QuerySet], QuerySet] | None = None
    # Buttons for the page's header (e.g. "Termin buchen"), a Jinja2 template
    # rendered with ``customer`` and ``section``; it checks its own rights.
    actions: str | None = None


class Shown(NamedTuple):
    """A section as this user sees it on one customer's page."""

    template: str
    context: dict
    actions: str | None


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """Idempotent: ``ready`` may run more than once (tests, autoreload)."""
    _SECTIONS[section.name] = section


def annotated(queryset: QuerySet) -> QuerySet:
    """``queryset`` with what every registered section reads with the row."""
    for section in _SECTIONS.values():
        if section.annotate is not None:
            queryset = section.annotate(queryset)
    return queryset


def sections_for(customer: Customer, request: HttpRequest) -> list[Shown]:
    """Each section this user sees, in order."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda section: (section.order, section.name)):
        context = section.context(customer, request)
        if context is not None:
            shown.append(Shown(section.template, context, section.actions))
    return shown
