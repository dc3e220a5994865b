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

import datetime
import operator
import re
from decimal import Decimal

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


def _lookup(lookup: str, operand, against: dict, negated: bool) -> bool | None:
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
        # Django leaves None out of IN (...).
        options = [o for o in (_operand(option, against) for option in operand) if o is not None]
        if not options:
            raise NotInPython(lookup)
        result = _any([_compare(operator.eq, value, option, lookup) for option in options])
    elif kind == "range":
        low, high = (_operand(bound, against) for bound in operand)
        result = _all(
            [_compare(operator.ge, value, low, lookup), _compare(operator.le, value, high, lookup)]
        )
    elif kind in _COMPARISONS:
        result = _compare(_COMPARISONS[kind], value, _operand(operand, against), lookup)
    elif kind == "regex" and isinstance(operand, str):
        # PostgreSQL's ~ and Python's re read the project's patterns alike
        # (anchors, classes, alternatives, counts: the VAT ID's shape).
        result = None if value is None else re.search(operand, str(value)) is not None
    else:
        raise NotInPython(lookup)  # also a lookup across a relation (a__b)
    if result is None and negated:
        # Under a negation Django adds "IS NOT NULL" for each nullable
        # operand: a NULL makes the lookup false there, not unknown.
        return False
    return result


# Kinds of values Python compares as PostgreSQL does (datetime before date:
# it is a date too); a choice's enum member is text.
_KINDS = (
    ("number", (int, float, Decimal)),
    ("text", str),
    ("datetime", datetime.datetime),
    ("date", datetime.date),
    ("time", datetime.time),
)


def _kind(value) -> str | None:
    return next((name for name, types in _KINDS if isinstance(value, types)), None)


def _compare(compare, value, other, lookup: str) -> bool | None:
    if value is None or other is None:
        return None
    kind = _kind(value)
    if kind is None or kind != _kind(other):
        raise NotInPython(lookup)  # "19" and 19, a date and a datetime: the database's rules
    if kind == "text" and compare is not operator.eq:
        raise NotInPython(lookup)  # text order is the column's collation
    if kind in ("datetime", "time") and (value.tzinfo is None) != (other.tzinfo is None):
        raise NotInPython(lookup)
    return compare(value, other)


def _all(results: list) -> bool | None:
    return False if False in results else (None if None in results else True)


def _any(results: list) -> bool | None:
    return True if True in results else (None if None in results else False)


def evaluate(condition, against: dict, *, negated: bool = False) -> bool | None:
    """``condition`` (a Q of lookups) for the field values ``against`` (as
    Model._get_field_expression_map gives them), as the CHECK Django makes
    of it answers: with SQL's three-valued logic, None where the database
    would find NULL. Raises NotInPython for what it does not know, _Excluded
    for a field left out. ``negated``: under an odd number of NOTs."""
    if isinstance(condition, tuple):
        return _lookup(*condition, against, negated)
    if not isinstance(condition, Q) or condition.connector not in (Q.AND, Q.OR):
        raise NotInPython(condition)
    inner = negated != condition.negated
    results = [evaluate(child, against, negated=inner) for child in condition.children]
    result = _all(results) if condition.connector == Q.AND else _any(results)
    if condition.negated and result is not None:
        result = not result
    return result


class CheckConstraint(models.CheckConstraint):
    """models.CheckConstraint, validated in Python where it can be, whose
    message belongs to ``field`` (shown at that field in a form) when given:
    no constraint's name ever reaches a user (issue 23)."""

    def __init__(self, *args, field: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.field = field

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            self._validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            if self.field is None or hasattr(error, "error_dict"):
                raise
            raise ValidationError({self.field: error.error_list}) from None

    def _validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
        try:
            holds = evaluate(self.condition, against)
        except _Excluded:
            return  # as Django: a field left out skips the constraint
        except NotInPython:
            return models.CheckConstraint.validate(
                self, model, instance, exclude=exclude, using=using
            )
        # A CHECK fails only on false: NULL passes.
        if holds is False:
            raise ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )

    def clone(self):
        # Django clones Meta.constraints to fill in names; the field is not
        # part of what it deconstructs (migrations need not know it).
        copy = super().clone()
        copy.field = self.field
        return copy

    def deconstruct(self):
        # Migrations see Django's class: the database constraint is the same.
        path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
