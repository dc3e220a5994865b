import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from customers.models import Customer, InsuranceProvider
from messaging.models import Consent, Kind, Message, Purpose, State
from prescriptions.models import ContactLensFitting, Refraction

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_german(capsys):
    call_command("seed_demo")
    first = Customer.objects.count()
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert first >= 50
    assert Customer.objects.count() == first
    assert (
        "Demo data: 0 new customers, 0 new consents, 0 new appointments, 0 new products, "
        "0 new refractions, 0 new orders." in output
    )
    # Most customers agree to service messages, about half of those to
    # recalls; the bookings planned reminders for those reachable.
    consents = Consent.objects.active()
    assert first / 2 < consents.values("customer").distinct().count() < first
    assert consents.filter(purpose=Purpose.MARKETING).exists()
    assert Message.objects.filter(kind=Kind.REMINDER, state=State.PLANNED).exists()
    # About half of the customers come with refractions, some with lenses.
    assert first / 4 < Refraction.objects.values("customer").distinct().count() < first
    assert ContactLensFitting.objects.exists()
    assert "Demo login: demo / demo  (owner: everything)" in output
    assert "Demo login: anna.schmidt / demo  (front desk" in output
    assert "Demo login: jonas.weber / demo  (optician" in output
    names = " ".join(Customer.objects.values_list("last_name", flat=True))
    assert any(letter in names for letter in "äöüß")
    assert Customer.objects.exclude(insurance_provider=None).count() > first / 2


def test_seed_demo_login_works(client):
    call_command("seed_demo", "--username", "chefin", "--password", "geheim-123")
    user = get_user_model().objects.get(username="chefin")
    assert client.login(username="chefin", password="geheim-123")
    assert user.is_superuser


def test_insurers_are_seeded_by_migration():
    names = set(InsuranceProvider.objects.values_list("name", flat=True))
    assert {"BARMER", "DAK-Gesundheit", "Techniker Krankenkasse (TK)", "Debeka"} <= names


def test_seed_demo_on_the_next_day_adds_no_customers(monkeypatch):
    import datetime

    from django.utils import timezone

    call_command("seed_demo")
    first = Customer.objects.count()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    call_command("seed_demo")
    assert Customer.objects.count() == first


def test_seed_demo_books_a_week_of_appointments():
    from appointments.models import Appointment, StaffCalendar

    call_command("seed_demo")
    assert StaffCalendar.objects.filter(active=True).count() == 3
    assert Appointment.objects.count() > 20
    assert Appointment.objects.values("type").distinct().count() >= 4


def test_each_demo_login_sees_what_its_role_sees(client):
    from prescriptions.models import Refraction

    call_command("seed_demo")
    refraction = Refraction.objects.select_related("customer").first()
    page = f"/customers/{refraction.customer_id}/"
    assert client.login(username="anna.schmidt", password="demo")
    front_desk = client.get(page).content.decode()
    assert "customer-refractions" not in front_desk
    assert client.get("/admin/").status_code == 302  # no administration
    client.logout()
    assert client.login(username="jonas.weber", password="demo")
    assert "customer-refractions" in client.get(page).content.decode()
