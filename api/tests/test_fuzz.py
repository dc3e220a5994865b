"""Schema-driven fuzzing of the whole API with schemathesis, against the
project's own OpenAPI schema: no input makes a 500, and every answer matches
the schema. Requests go through the WSGI application, on real PostgreSQL."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from api import services as api_services
from appointments.tests.factories import appointment, at, calendar_for
from customers.tests import factories as customer_factories
from opticrm.wsgi import application
from products.tests.factories import product


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection after each request;
    inside a test's transaction it must stay open (Django's test client
    does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loading the schema needs no database: it is generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def records(db, staff, keep_connection):
    """Something to find, so that generated ids sometimes hit real records."""
    calendar_for(staff)
    customer = customer_factories.customer()
    appointment(staff=staff, customer=customer, start=at(10))
    product()


@pytest.fixture
def key(db) -> str:
    return api_services.api_key_create(name="Fuzzer")[1]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_a_500_and_answers_match_the_schema(case, key, records, settings):
    settings.API_RATE_LIMIT = "1000000/min"
    response = case.call(headers={"Authorization": f"Bearer {key}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    case.validate_response(
        response,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.response_schema_conformance,
            schemathesis.checks.content_type_conformance,
        ],
    )
