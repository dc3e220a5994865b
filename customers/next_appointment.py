"""A customer's next appointment, as the app that keeps appointments finds it.

``Customer.next_appointment_at`` is kept by the appointments app's trigger
on every appointment write; once that appointment has begun, only that app
knows which one comes next. It provides the expression for it here (in its
AppConfig's ``ready``), so customers reads the rule without importing
appointments or naming its database function."""

from collections.abc import Callable

from django.db.models import DateTimeField, Expression, Value

_start: Callable[[], Expression] | None = None


def provide(start: Callable[[], Expression]) -> None:
    """``start()``: the start of the customer's (``id``) earliest upcoming
    appointment, evaluated for the row it is used on."""
    global _start
    _start = start


def start() -> Expression:
    """The expression provided, or NULL where no app keeps appointments."""
    if _start is None:
        return Value(None, output_field=DateTimeField())
    return _start()
