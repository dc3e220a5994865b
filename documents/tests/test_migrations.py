"""documents 0002: an existing shop's group Mitarbeiter gets the documents'
permissions (new installations get them from seed_demo)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.tests.test_migrations import back_to_the_latest_schema  # noqa: F401 (fixture)


@pytest.mark.django_db(transaction=True)
def test_the_existing_staff_group_gets_the_permissions(back_to_the_latest_schema):  # noqa: F811
    executor = MigrationExecutor(connection)
    executor.migrate([("documents", "0001_initial")])
    group = Group.objects.create(name="Mitarbeiter")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("documents", "0002_staff_group")])
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "view_customerdocument",
        "add_customerdocument",
        "delete_customerdocument",
    }


@pytest.mark.django_db(transaction=True)
def test_the_existing_staff_group_may_then_edit(back_to_the_latest_schema):  # noqa: F811
    """documents 0004: the edit modal's right for an existing shop's group."""
    executor = MigrationExecutor(connection)
    executor.migrate([("documents", "0002_staff_group")])
    group = Group.objects.create(name="Mitarbeiter")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("documents", "0004_product_thumbnail_pending")])
    assert "change_customerdocument" in set(group.permissions.values_list("codename", flat=True))
