"""Check constraints whose validation runs in Python (issue 8).

Django validates a model's check constraints before saving with one query
each (SELECT 1 WHERE <condition>, in a savepoint inside a transaction): for
a customer that is three queries and about a quarter of an API update's time,
twice (the form validates, then the service). The conditions here are simple
comparisons of the row's own fields, which Python answers the same way,
NULLs included; anything else is still asked of the database. The database
keeps the constraints themselves: this changes when a mistake is found, not
whether.
"""

import operator

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q, Value
from django.db.models.constants import LOOKUP_SEP

_COMPARISONS = {
    "exact": operator.eq,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


class NotInPython(Exception):
    """A condition this module does not evaluate: the database is asked."""


class _Excluded(Exception):
    """The condition reads a field that is not validated now (``exclude``)."""


def _field(name: str, against: dict):
    try:
        expression = against[name]
    except KeyError:
        raise _Excluded(name) from None
    if not isinstance(expression, Value):
        raise NotInPython(name)  # a generated field's expression, say
    return expression.value


def _operand(operand, against: dict):
    if isinstance(operand, F):
        return _field(operand.name, against)
    if hasattr(operand, "resolve_expression"):
        raise NotInPython(operand)
    return operand


def _lookup(lookup: str, operand, against: dict) -> bool | None:
    name, _, kind = lookup.partition(LOOKUP_SEP)
    kind = kind or "exact"
    if kind == "exact" and operand is None:
        kind, operand = "isnull", True  # as Django turns field=None into IS NULL
    if kind == "isnull":
        if not isinstance(operand, bool):
            raise NotInPython(lookup)
        return (_field(name, against) is None) == operand
    value = _field(name, against)
    if kind == "in":
        options = [_operand(option, against) for option in operand]
        if not options:
            raise NotInPython(lookup)
        if value is not None and value in [option for option in options if option is not None]:
            return True
        return None if value is None or None in options else False
    if kind == "range":
        low, high = (_operand(bound, against) for bound in operand)
        return _all(
            [_compare(operator.ge, value, low, lookup), _compare(operator.le, value, high, lookup)]
        )
    compare = _COMPARISONS.get(kind)
    if compare is None:
        raise NotInPython(lookup)  # also a lookup across a relation (a__b)
    return _compare(compare, value, _operand(operand, against), lookup)


def _compare(compare, value, other, lookup: str) -> bool | None:
    if value is None or other is None:
        return None
    try:
        return compare(value, other)
    except TypeError as error:
        raise NotInPython(lookup) from error


def _all(results: list) -> bool | None:
    return False if False in results else (None if None in results else True)


def _any(results: list) -> bool | None:
    return True if True in results else (None if None in results else False)


def evaluate(condition, against: dict) -> bool | None:
    """``condition`` (a Q of lookups) for the field values ``against`` (as
    Model._get_field_expression_map gives them), with SQL's three-valued
    logic: None where the database would find NULL. Raises NotInPython for
    what it does not know, _Excluded for a field left out."""
    if isinstance(condition, tuple):
        return _lookup(*condition, against)
    if not isinstance(condition, Q) or condition.connector not in (Q.AND, Q.OR):
        raise NotInPython(condition)
    results = [evaluate(child, against) for child in condition.children]
    result = _all(results) if condition.connector == Q.AND else _any(results)
    if condition.negated and result is not None:
        result = not result
    return result


class CheckConstraint(models.CheckConstraint):
    """models.CheckConstraint, validated in Python where it can be."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
        try:
            holds = evaluate(self.condition, against)
        except _Excluded:
            return  # as Django: a field left out skips the constraint
        except NotInPython:
            return super().validate(model, instance, exclude=exclude, using=using)
        # A CHECK fails only on false: NULL passes.
        if holds is False:
            raise ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )

    def deconstruct(self):
        # Migrations see Django's class: the database constraint is the same.
        path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
