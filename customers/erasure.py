"""What other apps keep of a customer, as they register it: the purge
(right to erasure) deletes it with the customer, without customers
importing those apps (issue 24: apps depend one way).

Each app that stores data about a customer registers its model in its
AppConfig's ``ready``: the field naming the customer, the model's change
history, whether the model protects the customer from an everyday delete
(then the purge deletes its rows first), whether the law keeps its rows
(then the erasure anonymises the customer instead of deleting), and which
of its dates counts as contact with the customer (the retention review).
Data about a customer that is not a row of its own (a name in a report's
text) is scrubbed by a function the app registers."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Holding:
    model: type[models.Model]
    field: str  # naming the customer, e.g. "customer_id"
    history: type[models.Model] | None = None  # its pghistory event model
    history_field: str = "customer_id"  # naming the customer in the history
    # PROTECT: everyday deletes of the customer are refused because of these
    # rows; the purge deletes them first.
    purged_first: bool = False
    # Why the law keeps the rows (e.g. invoices: § 147 AO, 10 years); blank:
    # they go with the customer.
    kept_by_law: str = ""
    # Which of those rows the law keeps (e.g. issued invoices, not drafts),
    # as filter arguments; the app's scrub removes the others.
    kept_rows: dict = dataclasses.field(default_factory=dict)
    # The date field counting as contact with the customer (an appointment's
    # start): the retention review counts customers without any since N years.
    contact: str = ""


@dataclass(frozen=True)
class Scrub:
    """What an app removes of an erased customer outside the registered rows
    (a name in a report's text, files that may hold the person)."""

    name: str
    # run(customer_id): called inside the erasure's transaction.
    run: Callable[[int], None]
    # counts(customer_id): what it will remove, as (what, how many), for the
    # erasure's explanation; none when there is nothing to say.
    counts: Callable[[int], list[tuple[str, int]]] = lambda customer_id: []


_HOLDINGS: dict[str, Holding] = {}
_SCRUBS: dict[str, Scrub] = {}


def register(holding: Holding) -> None:
    """Idempotent: ``ready`` may run more than once."""
    _HOLDINGS[holding.model._meta.label] = holding


def register_scrub(scrub: Scrub) -> None:
    """Idempotent like register."""
    _SCRUBS[scrub.name] = scrub


def holdings() -> list[Holding]:
    return list(_HOLDINGS.values())


def scrubs() -> list[Scrub]:
    return list(_SCRUBS.values())


def purged_first(customer_ids) -> list[models.QuerySet]:
    """The rows the purge deletes before the customer (e.g. appointments)."""
    return [
        holding.model._default_manager.filter(**{f"{holding.field}__in": list(customer_ids)})
        for holding in _HOLDINGS.values()
        if holding.purged_first
    ]


def protected_by_others() -> bool:
    """Whether a PROTECT relation nobody registered keeps a customer from
    being purged (none yet). Rows the law keeps (invoices) do not: the
    erasure anonymises the customer instead of deleting."""
    from customers.models import Customer

    registered = {
        holding.model
        for holding in _HOLDINGS.values()
        if holding.purged_first or holding.kept_by_law
    }
    return any(
        relation.on_delete is models.PROTECT and relation.related_model not in registered
        for relation in Customer._meta.related_objects
    )
