"""The benchmark command runs end to end (small numbers; it is not a timed test)."""

import re

import pytest
from django.core.management import call_command

from api.models import ApiKey
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db


def test_benchmark_reports_percentiles_and_cleans_up(capsys):
    real = factories.customer(last_name="Echt")
    call_command("api_benchmark", "--customers", "60", "--rounds", "5")
    output = capsys.readouterr().out
    for operation in ("list", "detail", "create", "update"):
        assert re.search(rf"^{operation}\s+5\s+\d+\.\d\s+\d+\.\d$", output, re.MULTILINE), output
    assert "Customers in the database during the run: 61" in output
    # Only the real customer is left; the benchmark's key is revoked.
    assert list(Customer.objects.all()) == [real]
    assert ApiKey.objects.get(name="Benchmark").revoked_at is not None


def test_benchmark_refuses_nonsense():
    with pytest.raises(Exception, match="at least 1"):
        call_command("api_benchmark", "--customers", "0")
