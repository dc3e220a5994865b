"""The retention review (issue 27): once a month, customers without any
contact for RETENTION_YEARS are listed for the owner, who decides; nothing
is deleted by it."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments import services as appointment_services
from appointments.tests import factories as appointment_factories
from customers import services
from customers.models import Customer, RetentionCandidate, RetentionReview
from customers.tasks import make_retention_review
from customers.tests import factories
from customers.tests.test_erasure import give_consent
from customers.validators import years_before
from opticrm.lib import schedule

pytestmark = pytest.mark.django_db


def years_ago(years: int, days: int = 0) -> datetime.date:
    return years_before(timezone.localdate(), years) - datetime.timedelta(days=days)


def start_of_year(years_back: int) -> datetime.date:
    return datetime.date(timezone.localdate().year - years_back, 1, 1)


def person(last_name: str, *, created: datetime.date, **dates) -> Customer:
    """A customer made on ``created``, with the customer's own contact dates
    set as the triggers would (``last_exam_date``, ``last_fitting_date``)."""
    customer = factories.customer(first_name="Test", last_name=last_name)
    Customer.objects.filter(pk=customer.pk).update(
        created_at=timezone.make_aware(datetime.datetime.combine(created, datetime.time(12))),
        **dates,
    )
    return customer


def visit(customer, staff, day: datetime.date):
    return appointment_services.appointment_book(
        data={
            "customer": customer,
            "staff": staff,
            "type": appointment_factories.appointment_type(),
            "start": appointment_factories.at(10, day=day),
        },
        user=staff,
        allow_outside_hours=True,
    )


@pytest.fixture
def shop(owner):
    appointment_factories.calendar_for(owner)
    old = years_ago(15)
    people = {
        "exam_long_ago": person("Alt", created=old, last_exam_date=years_ago(12)),
        "visit_long_ago": person("Besuch", created=old),
        "never_seen": person("Nie", created=old),
        "recent_exam": person("Sehtest", created=old, last_exam_date=years_ago(3)),
        # Within the period: its year has not ended ten years ago.
        "recent_visit": person("Termin", created=old),
        "recent_consent": person("Einwilligung", created=old),
        "future_visit": person("Zukunft", created=old),
        "recent_fitting": person("Linse", created=old, last_fitting_date=years_ago(2)),
        "new": person("Neu", created=years_ago(1)),
        "deleted": person("Weg", created=old),
    }
    visit(people["visit_long_ago"], owner, years_ago(11))
    visit(people["recent_visit"], owner, start_of_year(10))
    visit(people["future_visit"], owner, timezone.localdate() + datetime.timedelta(days=20))
    give_consent(people["recent_consent"], owner)
    services.customer_soft_delete(customer_id=people["deleted"].pk)
    return people


def test_the_review_lists_customers_without_contact_for_the_years(shop, settings):
    settings.RETENTION_YEARS = 10
    review = services.retention_review_make()

    listed = dict(
        RetentionCandidate.objects.filter(review=review).values_list(
            "customer__last_name", "last_contact"
        )
    )
    # A deleted customer's data are still stored: listed too.
    assert listed == {
        "Alt": years_ago(12),
        "Besuch": years_ago(11),
        "Nie": years_ago(15),
        "Weg": years_ago(15),
    }
    assert review.customer_count == 4
    # Counted from the end of the contact's year (§ 147 (4) AO): on any day
    # of this year, a contact in the year ten years back is not yet due.
    assert review.contact_before == start_of_year(10)
    # Nothing deleted, nothing changed.
    assert Customer.objects.count() == len(shop)


def test_the_years_are_a_setting(shop, settings):
    settings.RETENTION_YEARS = 13
    review = services.retention_review_make()
    names = set(
        RetentionCandidate.objects.filter(review=review).values_list(
            "customer__last_name", flat=True
        )
    )
    assert names == {"Nie", "Weg"}


def test_the_monthly_job_makes_one_review_a_month(shop):
    assert services.retention_review_if_due().customer_count == 4
    assert services.retention_review_if_due() is None
    assert RetentionReview.objects.count() == 1
    # A review of an earlier month does not count for this one.
    RetentionReview.objects.update(made_at=timezone.now() - datetime.timedelta(days=40))
    assert services.retention_review_if_due() is not None
    assert RetentionReview.objects.count() == 2
    # Only the newest review keeps its list.
    assert RetentionCandidate.objects.values("review").distinct().count() == 1


def test_the_scheduler_runs_the_review_and_goes_on_past_a_failing_job(shop, monkeypatch, capsys):
    def broken() -> str:
        raise RuntimeError("kaputt")

    assert {"messages", "retention review"} <= {job.name for job in schedule.jobs()}
    monkeypatch.setitem(schedule._JOBS, "broken", schedule.Job(name="broken", run=broken))
    call_command("schedule")
    assert "retention review: 4 customer(s) to review" in capsys.readouterr().out
    assert RetentionReview.objects.count() == 1


def test_the_owner_reviews_the_list(owner_client, shop):
    url = reverse("customers:retention")
    empty = owner_client.get(url).content.decode()
    assert "Noch keine Liste" in empty

    # Half a minute at chain scale: made by the worker, not the request.
    asked = owner_client.post(url, follow=True).content.decode()
    assert "wird im Hintergrund neu erstellt" in asked
    assert not RetentionReview.objects.exists()
    assert run_queued_reviews() == 1
    made = owner_client.get(url).content.decode()
    assert "4 Kunden ohne jeden Kontakt seit 10 Jahren" in made
    # Oldest contact first.
    order = [made.index(f"Test {name}") for name in ("Nie", "Alt", "Besuch")]
    assert order == sorted(order)
    assert reverse("customers:erase", args=[shop["never_seen"].pk]) in made
    # A deleted one is erased from the deleted customers' path.
    assert reverse("customers:purge", args=[shop["deleted"].pk]) in made
    assert "1–4 von 4" in made

    # An erased customer leaves the list and its count, the others stay.
    services.customer_erase(customer_id=shop["never_seen"].pk)
    page = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Test Nie" not in page and "Test Alt" in page
    assert "1–3 von 3" in page
    assert RetentionReview.objects.get().customer_count == 3
    assert "<html" not in page  # the table alone, for the swap after an erasure


def run_queued_reviews() -> int:
    """Run the queued review tasks as the worker would."""
    ran = 0
    for result in DBTaskResult.objects.filter(task_path__endswith="make_retention_review"):
        make_retention_review.call()
        result.delete()
        ran += 1
    return ran


def test_hostile_names_are_shown_as_text(owner_client):
    person("<script>alert(1)</script>", created=years_ago(20))
    services.retention_review_make()
    page = owner_client.get(reverse("customers:retention")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_list_is_linked_from_the_deleted_customers(owner_client, staff_client):
    url = reverse("customers:retention")
    assert url in owner_client.get(reverse("customers:deleted")).content.decode()
    assert url not in staff_client.get(reverse("customers:deleted")).content.decode()


def test_only_the_owner_sees_the_list(staff_client, optician_client, shop):
    url = reverse("customers:retention")
    for client in (staff_client, optician_client):
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    assert not RetentionReview.objects.exists()


def test_the_page_reads_in_constant_queries(owner_client, shop, django_assert_max_num_queries):
    services.retention_review_make()
    for i in range(20):
        person(f"Mehr{i}", created=years_ago(20))
    services.retention_review_make()
    with django_assert_max_num_queries(9):
        page = owner_client.get(reverse("customers:retention")).content.decode()
    assert page.count("data-customer=") == 24
