"""privacy 0002: an existing shop's group Augenoptik gets the access
report's permission (new installations get it from seed_demo)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.tests.test_migrations import back_to_the_latest_schema  # noqa: F401 (fixture)


@pytest.mark.django_db(transaction=True)
def test_the_existing_optician_group_gets_the_permission(back_to_the_latest_schema):  # noqa: F811
    executor = MigrationExecutor(connection)
    executor.migrate([("privacy", "0001_initial")])
    group = Group.objects.create(name="Augenoptik")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("privacy", "0002_optician_group")])
    assert list(group.permissions.values_list("codename", flat=True)) == ["add_accessreport"]
