"""What other apps keep of a customer, as they register it: the purge
(right to erasure) deletes it with the customer, without customers
importing those apps (issue 24: apps depend one way).

Each app that stores data about a customer registers its model in its
AppConfig's ``ready``: the field naming the customer, the model's change
history, and whether the model protects the customer from an everyday
delete (then the purge deletes its rows first)."""

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


_HOLDINGS: dict[str, Holding] = {}


def register(holding: Holding) -> None:
    """Idempotent: ``ready`` may run more than once."""
    _HOLDINGS[holding.model._meta.label] = holding


def holdings() -> list[Holding]:
    return list(_HOLDINGS.values())


def purged_first(customer_ids) -> list[models.QuerySet]:
    """The rows the purge deletes before the customer (e.g. appointments)."""
    return [
        holding.model._default_manager.filter(**{f"{holding.field}__in": list(customer_ids)})
        for holding in _HOLDINGS.values()
        if holding.purged_first
    ]


def protected_by_others() -> bool:
    """Whether a PROTECT relation nobody registered keeps a customer from
    being purged (none yet; invoices will, as the law keeps them)."""
    from customers.models import Customer

    registered = {holding.model for holding in _HOLDINGS.values() if holding.purged_first}
    return any(
        relation.on_delete is models.PROTECT and relation.related_model not in registered
        for relation in Customer._meta.related_objects
    )
