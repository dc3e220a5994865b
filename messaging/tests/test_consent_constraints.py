"""The consent table's rules in the database, each with a German message of
its own at its field (as opticrm/tests/test_constraint_messages.py asks of
the apps it lists), and Python's check answering as PostgreSQL does."""

import itertools

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint, Value
from django.utils import timezone, translation

from customers.tests import factories
from messaging.models import Consent
from opticrm.lib.constraints import evaluate
from opticrm.tests.test_constraint_messages import DJANGO_DEFAULT
from opticrm.tests.test_constraints import CANDIDATES, database_answer, referenced

pytestmark = pytest.mark.django_db

# The user foreign key of the withdrawal: a user's id or none.
VALUES = CANDIDATES | {"ForeignKey": [None, 1]}
CHECKS = [c for c in Consent._meta.constraints if isinstance(c, CheckConstraint)]


@pytest.mark.parametrize("constraint", Consent._meta.constraints, ids=lambda c: c.name)
def test_every_constraint_has_a_message_of_its_own(constraint):
    assert constraint.violation_error_message not in (None, DJANGO_DEFAULT)
    with translation.override("de"):
        message = str(constraint.get_violation_error_message())
    assert constraint.name not in message and "Bedingung" not in message


def _fields_and_breaking_values(constraint):
    names = sorted(referenced(constraint.condition))
    fields = [Consent._meta.get_field(name) for name in names]
    for values in itertools.product(*(VALUES[f.get_internal_type()] for f in fields)):
        against = {f.name: Value(v, f) for f, v in zip(fields, values, strict=True)} | {
            f.attname: Value(v, f) for f, v in zip(fields, values, strict=True)
        }
        if evaluate(constraint.condition, against) is False:
            return fields, values
    pytest.fail(f"no values break {constraint.name}")


@pytest.mark.parametrize("constraint", CHECKS, ids=lambda c: c.name)
def test_breaking_a_check_says_so_at_its_field(constraint):
    fields, values = _fields_and_breaking_values(constraint)
    instance = Consent(**{f.attname: v for f, v in zip(fields, values, strict=True)})
    with translation.override("de"), pytest.raises(ValidationError) as raised:
        constraint.validate(Consent, instance)
    error = raised.value
    errors = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    assert list(errors) == [constraint.field]


@pytest.mark.parametrize("constraint", CHECKS, ids=lambda c: c.name)
def test_python_and_the_database_agree(constraint):
    names = sorted(referenced(constraint.condition))
    fields = [Consent._meta.get_field(name) for name in names]
    for values in itertools.product(*(VALUES[f.get_internal_type()] for f in fields)):
        against = {f.name: Value(v, f) for f, v in zip(fields, values, strict=True)} | {
            f.attname: Value(v, f) for f, v in zip(fields, values, strict=True)
        }
        in_python = evaluate(constraint.condition, against)
        assert (in_python is not False) == database_answer(Consent, constraint, fields, values), (
            constraint.name,
            values,
        )


def test_the_database_holds_the_withdrawal_rules(staff):
    customer = factories.customer()
    now = timezone.now()
    base = {"customer": customer, "channel": "email", "purpose": "service", "method": "phone"}
    for broken in (
        {"withdrawn_at": now},  # no method
        {"withdrawal_method": "phone"},  # a method, not withdrawn
        {"withdrawn_by": staff},  # by someone, not withdrawn
        {"text": ""},
        {"channel": "fax"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Consent.objects.create(**(base | {"text": "x", "given_at": now} | broken))
    assert not Consent.objects.exists()
    assert connection.is_usable()
