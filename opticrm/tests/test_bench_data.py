"""The benchmark's bulk data: loaded fast, and valid by the app's own rules."""

import pytest
from django.db import connection
from pghistory.models import Events

from appointments.models import Appointment, StaffCalendar
from customers.models import Customer
from opticrm.bench.data import Sizes, load
from prescriptions.models import Refraction
from products.models import Product

pytestmark = pytest.mark.django_db

SIZES = Sizes(customers=2_000, appointments=4_000, products=300)


@pytest.fixture
def loaded():
    return load(SIZES, rebuild_indexes=False)


def test_the_sizes_asked_for_are_loaded(loaded):
    assert Customer.objects.count() == 2_000
    assert Product.objects.count() == 300
    # Plus the 50 of the customer whose page is measured.
    assert Appointment.objects.count() == 4_000 + 50
    assert Refraction.objects.count() == 400 + 20  # a fifth of the customers, 20 for one
    assert StaffCalendar.objects.filter(active=True).count() == 8


def test_the_measured_customer_has_a_long_history(loaded):
    customer = Customer.objects.get(pk=loaded.detail_customer_id)
    assert customer.refractions.count() == 20
    assert customer.appointments.count() >= 50


def test_a_sample_passes_the_models_validation(loaded):
    for model in (Customer, Product, Appointment, Refraction):
        for obj in model.objects.order_by("?")[:40]:
            obj.full_clean(validate_constraints=False)  # the database held those


def test_derived_search_and_sort_columns_are_filled_as_the_app_fills_them(loaded):
    for customer in Customer.objects.order_by("?")[:20]:
        stored = (customer.sort_name, customer.search_text)
        customer.refresh_derived_fields()
        assert stored == (customer.sort_name, customer.search_text)


def test_each_next_appointment_is_stored_as_the_trigger_keeps_it(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE next_appointment_at IS NOT NULL), count(*) FILTER ("
            "WHERE next_appointment_at IS DISTINCT FROM appointments_next_start(id)) "
            "FROM customers_customer"
        )
        with_one, wrong = cursor.fetchone()
    assert with_one > 500
    assert wrong == 0


def test_each_last_refraction_date_is_stored_as_the_trigger_keeps_it(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE last_refraction_date IS NOT NULL), count(*) FILTER ("
            "WHERE last_refraction_date IS DISTINCT FROM prescriptions_last_refraction(id)) "
            "FROM customers_customer"
        )
        with_one, wrong = cursor.fetchone()
    assert with_one == 400 + 1  # a fifth of the customers, and the measured one
    assert wrong == 0


def test_no_history_or_live_counter_rows_for_a_bulk_load():
    # What the migrations wrote (the seeded message templates) is not the load's.
    before = Events.objects.count()
    load(Sizes(customers=200, appointments=400, products=50), rebuild_indexes=False)
    assert Events.objects.count() == before
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # triggers are on again afterwards


def test_the_same_seed_loads_the_same_names():
    load(Sizes(customers=50, appointments=0, products=0), rebuild_indexes=False)
    first = list(Customer.objects.order_by("id").values_list("last_name", "email"))
    Customer.objects.all().delete()
    load(Sizes(customers=50, appointments=0, products=0), rebuild_indexes=False)
    again = list(Customer.objects.order_by("id").values_list("last_name", "email"))
    assert first == again
