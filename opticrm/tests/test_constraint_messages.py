"""No constraint's name ever reaches a user: every constraint of the project
speaks German of its own, at the field it is about (issue 23)."""

import itertools

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Value
from django.utils import translation

from opticrm.lib.constraints import evaluate
from opticrm.tests.test_constraints import (
    APPS,
    candidates,
    project_check_constraints,
    referenced,
)

DJANGO_DEFAULT = "Constraint “%(name)s” is violated."


def every_constraint():
    return [
        pytest.param(model, constraint, id=constraint.name)
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for constraint in model._meta.constraints
    ]


@pytest.mark.parametrize(("model", "constraint"), every_constraint())
def test_every_constraint_has_a_german_message_of_its_own(model, constraint):
    assert constraint.violation_error_message not in (None, DJANGO_DEFAULT), constraint.name
    with translation.override("de"):
        german = str(constraint.get_violation_error_message())
    with translation.override("en"):
        english = str(constraint.get_violation_error_message())
    assert german != english, f"{constraint.name}: not translated"
    assert constraint.name not in german and "Bedingung" not in german


@pytest.mark.parametrize(("model", "constraint"), project_check_constraints())
def test_breaking_a_constraint_says_so_at_its_field(model, constraint):
    """The model validation every form runs (ModelForm._post_clean), with
    values that break the constraint."""
    names = sorted(referenced(constraint.condition))
    fields = [model._meta.get_field(name) for name in names]
    # The field's choices too where no general value is one ("cash" needs a receipt).
    for values in itertools.product(*(candidates(f) for f in fields)):
        against = {n: Value(v, f) for n, f, v in zip(names, fields, values, strict=True)}
        if evaluate(constraint.condition, against) is False:
            break
    else:
        pytest.fail(f"no values break {constraint.name}")
    instance = model(**{field.attname: value for field, value in zip(fields, values, strict=True)})
    with translation.override("de"), pytest.raises(ValidationError) as raised:
        constraint.validate(model, instance)
    error = raised.value
    errors = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    assert list(errors) == [getattr(constraint, "field", None) or NON_FIELD_ERRORS]
    for message in itertools.chain.from_iterable(errors.values()):
        assert constraint.name not in message and "Bedingung" not in message
