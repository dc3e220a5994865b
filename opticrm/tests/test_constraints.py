"""Check constraints validated in Python answer as the database does."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q, Value
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from opticrm.lib.constraints import CheckConstraint, NotInPython, evaluate

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)
# Values around the constraints' own bounds, per field type.
CANDIDATES = {
    "DecimalField": [None, Decimal("-0.25"), Decimal("0"), Decimal("7"), Decimal("19.00")],
    "IntegerField": [None, -1, 0, 1, 90],
    "PositiveIntegerField": [None, 0, 1, 180],
    "PositiveSmallIntegerField": [None, 0, 1, 180],
    "SmallIntegerField": [None, -1, 0, 1],
    "BigAutoField": [1],
    "CharField": [
        None,
        "",
        "frame",
        "inventory",
        "active",
        "cancelled",
        "bogus",
    ],
    "TextField": [None, "", "x"],
    "DateField": [None, datetime.date(1980, 5, 17), datetime.date(2026, 3, 12)],
    "TimeField": [None, datetime.time(9), datetime.time(18)],
    "DateTimeField": [None, NOW, NOW + datetime.timedelta(minutes=30)],
    # A reference that is there or not (a consent's withdrawn_by).
    "ForeignKey": [None, 1],
    # A cancellation invoice's invoice.
    "OneToOneField": [None, 1],
}


APPS = {
    "customers",
    "prescriptions",
    "products",
    "appointments",
    "live",
    "messaging",
    "orders",
    "invoices",
}


def project_check_constraints() -> list:
    return [
        pytest.param(model, constraint, id=constraint.name)
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    ]


def referenced(condition) -> set[str]:
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= referenced(child)
        else:
            lookup, operand = child
            names.add(lookup.split("__")[0])
            if isinstance(operand, F):
                names.add(operand.name)
    return names


def test_every_constraint_of_the_project_is_one_python_can_check():
    constraints = [param.values[1] for param in project_check_constraints()]
    # (models.CheckConstraint would validate each with a query of its own.)
    assert len(constraints) >= 15
    for constraint in constraints:
        assert type(constraint) is CheckConstraint, constraint.name


def database_answer(model, constraint, fields, values) -> bool:
    """What the table's own CHECK (the SQL Django made of the constraint)
    says to a row with ``values``."""
    with connection.schema_editor() as editor:
        check = constraint._get_check_sql(model, editor)
        row = ", ".join(
            f"%s::{field.db_type(connection)} AS {editor.quote_name(field.column)}"
            for field in fields
        )
    params = [
        field.get_db_prep_value(v, connection) for field, v in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(({check}), true) FROM (SELECT {row}) AS row", params)
        return cursor.fetchone()[0]


def candidates(field) -> list:
    """The values of the field's type that its column can hold (a refractive
    index of three digits holds no 19.00)."""
    values = CANDIDATES[field.get_internal_type()]
    choices = [value for value, _label in field.flatchoices]
    if choices and not set(values) & set(choices):
        # Text choices none of the values hit (an invoice's "draft", "issued").
        values = [*values, *choices]
    if field.get_internal_type() == "DecimalField":
        limit = Decimal(10) ** (field.max_digits - field.decimal_places)
        values = [value for value in values if value is None or abs(value) < limit]
    return values


@pytest.mark.parametrize(("model", "constraint"), project_check_constraints())
def test_python_and_the_database_agree(model, constraint):
    names = sorted(referenced(constraint.condition))
    fields = [model._meta.get_field(name) for name in names]
    pools = [candidates(field) for field in fields]
    combinations = list(itertools.product(*pools))
    assert 0 < len(combinations) <= 500  # every one tried
    answers = set()
    for values in combinations:
        against = {
            name: Value(value, field)
            for name, field, value in zip(names, fields, values, strict=True)
        }
        in_python = evaluate(constraint.condition, against)
        in_database = database_answer(model, constraint, fields, values)
        assert (in_python is not False) == in_database, (
            constraint.name,
            dict(zip(names, values, strict=True)),
        )
        answers.add(in_database)
    assert answers == {True, False}  # the values tried both pass and break it


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        # Django leaves None out of IN: 2 IN (1) is false, not unknown.
        (Q(a__in=[1, None]), {"a": 2}, False),
        (Q(a__in=[1, None]), {"a": 1}, True),
        (Q(a__in=[1]), {"a": None}, None),
        # Under NOT, Django adds IS NOT NULL: NOT (a = 1 AND a IS NOT NULL).
        (~Q(a=1), {"a": None}, True),
        (~~Q(a=1), {"a": None}, None),
        (~(Q(a=1) | Q(b=2)), {"a": None, "b": 3}, True),
        (Q(a__gte=F("b")), {"a": 1, "b": None}, None),
        (Q(a__range=(1, 3)), {"a": 2}, True),
        (Q(a__gt=0) & Q(b=1), {"a": None, "b": 2}, False),
        (Q(a__gt=0) | Q(b=1), {"a": None, "b": 2}, None),
    ],
)
def test_three_valued_answers(condition, values, expected):
    assert evaluate(condition, {k: Value(v) for k, v in values.items()}) is expected


def test_what_python_does_not_know_goes_to_the_database():
    with pytest.raises(NotInPython):
        evaluate(Q(name__icontains="x"), {"name": Value("x")})
    with pytest.raises(NotInPython):
        evaluate(Q(insurer__name="x"), {"insurer": Value(1)})
    with pytest.raises(NotInPython):
        evaluate(Q(code__lt="b"), {"code": Value("a")})  # the column's collation decides
    with pytest.raises(NotInPython):
        evaluate(Q(rate=19), {"rate": Value("19")})
    with pytest.raises(NotInPython):
        evaluate(
            Q(day__lt=F("moment")), {"day": Value(datetime.date(2026, 1, 1)), "moment": Value(NOW)}
        )
    with pytest.raises(NotInPython):
        evaluate(Q(a=1) ^ Q(b=2), {"a": Value(1), "b": Value(2)})


def test_a_customer_is_validated_without_asking_the_database():
    customer = Customer(
        first_name="Eva",
        last_name="Weber",
        status="active",
        date_of_birth=datetime.date(1980, 5, 17),
        last_exam_date=datetime.date(1979, 1, 1),
    )
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as raised:
        customer.validate_constraints()
    assert not queries.captured_queries
    assert raised.value.messages == [
        "Die letzte Untersuchung kann nicht vor dem Geburtsdatum liegen."
    ]
    customer.last_exam_date = None
    customer.validate_constraints()  # NULL passes, as in the database
    customer.validate_constraints(exclude={"first_name"})
    customer.first_name = ""
    customer.validate_constraints(exclude={"first_name"})  # left out: not checked
    with pytest.raises(ValidationError):
        customer.validate_constraints()
