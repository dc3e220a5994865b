"""Short marks other apps put next to a customer's name in the customer list
(e.g. "Brille abholbereit"). Customers does not know those apps: each
registers, in its AppConfig's ``ready``, a function that reads the marks of
a page's customers at once (one query per app, whatever the page size)."""

from collections.abc import Callable

# (customer ids, user) → {customer id: [mark text, …]}; nothing for a user
# who may not see what the mark tells.
Provider = Callable[[list[int], object], dict[int, list[str]]]

_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Idempotent: ``ready`` may run more than once (tests, autoreload)."""
    _PROVIDERS[name] = provider


def marks_for(customer_ids: list[int], user) -> dict[int, list[str]]:
    marks: dict[int, list[str]] = {}
    if not customer_ids:
        return marks
    for provider in _PROVIDERS.values():
        for customer_id, texts in provider(customer_ids, user).items():
            marks.setdefault(customer_id, []).extend(texts)
    return marks
