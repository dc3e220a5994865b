"""The appointments report in a browser: reached by the tab from the
revenue report, its chart and tables, the period changed by htmx, a
download; at 1280 and 390 px."""

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import StaffCalendar
from appointments.services import appointment_set_status
from reports.tests.factories import booked
from reports.tests.test_browser import owner_page, shot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_appointments_report_in_a_browser(owner_page, live_server, owner, staff, artifacts):  # noqa: F811
    page = owner_page
    StaffCalendar.objects.create(staff=owner)
    StaffCalendar.objects.create(staff=staff)
    today = timezone.localdate()
    plan = [
        (0, 9, owner, "Sehtest", "done"), (0, 10, staff, "Kontaktlinsenanpassung", "no_show"),
        (1, 9, staff, "Brillenberatung", "done"), (1, 11, owner, "Sehtest", "cancelled"),
        (3, 14, owner, "Kontaktlinsenkontrolle", "done"), (40, 9, staff, "Sehtest", "done"),
        (100, 10, owner, "Brillenabholung", "done"), (365, 9, owner, "Sehtest", "done"),
        (-2, 15, staff, "Sehtest", "planned"),
    ]  # fmt: skip
    for ago, hour, user, kind, status in plan:
        made = booked(staff=user, day=today - timezone.timedelta(days=ago), hour=hour,
                      type_name=kind)  # fmt: skip
        if status != "planned":
            appointment_set_status(appointment_id=made.pk, status=status)

    page.goto(live_server.url + reverse("reports:revenue"))
    page.locator("[data-report=appointments]").click()
    page.wait_for_url(live_server.url + reverse("reports:appointments"))
    expect(page.locator("[data-report=appointments]")).to_have_attribute("aria-current", "page")
    expect(page.locator("svg.bar-chart >> visible=true")).to_be_visible()
    expect(page.locator("#appointments-types")).to_contain_text("Sehtest")
    booked_month = page.locator("#total-booked strong").inner_text()
    shot(page, artifacts, "reports-appointments-1280")

    page.locator("[data-period=this_year]").click()
    expect(page.locator("[data-period=this_year]")).to_have_attribute("aria-current", "page")
    assert "period=this_year" in page.url
    expect(page.locator("#total-utilisation")).to_contain_text("%")
    expect(page.locator("#appointments-staff tbody tr")).to_have_count(3)  # two and the total
    if today.month > 4:  # then 100 days ago falls in this year as well
        expect(page.locator("#total-booked strong")).not_to_have_text(booked_month)
    shot(page, artifacts, "reports-appointments-year-1280")

    with page.expect_download() as download:
        page.locator("[data-download=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert ";" in content and "Sehtest" in content

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("reports:appointments") + "?period=this_year")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts, "reports-appointments-390")
