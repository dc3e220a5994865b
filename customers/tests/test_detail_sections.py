"""The customer page's sections, rendered by Jinja2 (customers.sections):
health data only for those who may see it, on the full page and in the
htmx partial the page refreshes itself with, and every stored text escaped."""

import datetime

import pytest
from django.utils import timezone

from customers.tests import factories
from messaging import services as messaging_services
from messaging.models import Channel, Kind, Message, Purpose, State
from prescriptions.tests.factories import fitting, refraction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def measured(optician, owner):
    """A customer with health data, a consent and a message, some of their
    texts hostile."""
    customer = factories.customer(first_name="Jürgen", last_name="Weiß")
    today = timezone.localdate()
    refraction(customer, optician, date=today - datetime.timedelta(days=400), prescriber="Dr. Alt")
    refraction(customer, optician, date=today, prescriber=HOSTILE, remarks=f"Bemerkung {HOSTILE}")
    fitting(customer, optician, date=today, wearing_notes=f"Trägt {HOSTILE}")
    messaging_services.consent_give(
        customer_id=customer.pk,
        channel=Channel.EMAIL,
        purpose=Purpose.SERVICE,
        method="in_store",
        text=f"Einverstanden {HOSTILE}",
        user=owner,
    )
    Message.objects.create(
        customer=customer,
        kind=Kind.READY,
        channel=Channel.EMAIL,
        purpose=Purpose.SERVICE,
        recipient="kunde@example.de",
        state=State.FAILED,
        send_at=timezone.now(),
        reason=f"Postfach voll {HOSTILE}",
        text=f"Hallo {HOSTILE}",
    )
    return customer


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx partial"])
def test_front_desk_sees_the_page_without_health_data(staff_client, measured, headers):
    response = staff_client.get(f"/customers/{measured.pk}/", **headers)
    body = response.content.decode()
    assert response.status_code == 200
    # The other sections are there …
    assert 'id="customer-consents"' in body
    assert 'id="customer-appointments"' in body
    # … the refractions and fittings, their values and notes are not.
    for hidden in (
        'id="customer-refractions"',
        'id="customer-fittings"',
        "history-table",
        "Dr. Alt",
        "Bemerkung",
        "Trägt",
        "Sph",
        "/prescriptions/",
    ):
        assert hidden not in body, hidden


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx partial"])
def test_an_optician_sees_the_health_data_with_every_text_escaped(
    optician_client, measured, headers
):
    body = optician_client.get(f"/customers/{measured.pk}/", **headers).content.decode()
    assert 'id="customer-refractions"' in body and 'id="customer-fittings"' in body
    assert body.count('<tbody class="history-record') == 3  # two refractions, one fitting
    assert "Dr. Alt" in body
    assert "<script>" not in body
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for text in ("Bemerkung ", "Trägt ", "Einverstanden ", "Postfach voll ", "Hallo "):
        assert text + escaped in body, text


@pytest.mark.parametrize(
    ("codename", "shown", "hidden"),
    [
        ("view_refraction", 'id="customer-refractions"', 'id="customer-fittings"'),
        ("view_contactlensfitting", 'id="customer-fittings"', 'id="customer-refractions"'),
    ],
)
def test_refractions_and_fittings_each_with_their_own_permission(
    client, staff, measured, codename, shown, hidden
):
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(staff)
    for headers in ({}, HTMX):
        body = client.get(f"/customers/{measured.pk}/", **headers).content.decode()
        assert shown in body
        assert hidden not in body
