"""Migrations that carry data, run against real PostgreSQL."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", "0005_sort_name_byte_order")]
AFTER = [("customers", "0006_notes_from_prescription")]


@pytest.fixture
def back_to_the_latest_schema():
    """Whatever happens in the test, the tests that follow find the newest
    schema: a failed assertion must not leave them on an old one."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_free_text_prescriptions_become_notes_unchanged(back_to_the_latest_schema):
    """Issue 5: the old free-text prescription must survive as the notes."""
    text = "R +1,25 −0,50 90°\nL +1,00\nGleitsicht, Add 2,00 (Augenarzt Dr. Öz)"
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Customer = old_apps.get_model("customers", "Customer")
    with_text = Customer.objects.create(first_name="Jörg", last_name="Weiß", prescription=text)
    without = Customer.objects.create(first_name="Eva", last_name="Ohne", prescription="")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    Customer = new_apps.get_model("customers", "Customer")
    assert Customer.objects.get(pk=with_text.pk).notes == text
    assert Customer.objects.get(pk=without.pk).notes == ""
    assert "prescription" not in {f.name for f in Customer._meta.get_fields()}
