"""Live updates between two people in two browsers, and from outside the app.

Every wait for a live change is 2 seconds: the promise the issue makes.
"""

import datetime
import re

import pghistory
import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from appointments.tests import factories as appointment_factories
from customers import services
from customers.models import Customer
from customers.tests import factories
from live.tests.conftest import second_connection
from products.tests import factories as product_factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 2_000  # ms: a change shows up in every other open page within this


@pytest.fixture
def two_people(browser, live_server, owner, staff, password, artifacts, settings):
    """Ines (the owner) and Anna (front desk), each in a browser of their own,
    against a server that caches the counters as in production."""
    settings.LIVE_COUNTER_MAX_AGE = 0.5
    pages = {}
    contexts = []
    for user in (owner, staff):
        context = browser.new_context(
            locale="de-DE", timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
        page.goto(f"{live_server.url}/customers/")
        pages[user.first_name] = page
    yield pages["Ines"], pages["Anna"]
    for context in contexts:
        context.close()


def modal(page: Page) -> Locator:
    return page.locator("dialog#modal")


def field(dialog: Locator, label: str) -> Locator:
    return dialog.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def mark_page(page: Page) -> None:
    """Leave a marker in the window; a page load would wipe it."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"


def local_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def test_two_people_see_each_others_changes_and_lose_nothing(two_people, live_server, artifacts):
    ines, anna = two_people
    factories.customer(first_name="Maria", last_name="Müller")
    # Anna searches and scrolls; none of it may be lost by what Ines does.
    anna.reload()
    anna.get_by_label("Suche").fill("Müller")
    expect(anna.locator("#customer-table tbody tr")).to_have_count(1)
    mark_page(anna)

    # Ines creates a customer: Anna's filtered list shows him without a reload.
    ines.get_by_role("link", name="Neuer Kunde").click()
    dialog = modal(ines)
    field(dialog, "Vorname").fill("Jürgen")
    field(dialog, "Nachname").fill("Müller-Lüdenscheidt")
    field(dialog, "Geburtsdatum").fill("12.03.1965")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    expect(anna.locator("#customer-table")).to_contain_text("Müller-Lüdenscheidt", timeout=LIVE)
    expect(anna.get_by_label("Suche")).to_have_value("Müller")
    expect(anna.locator("#customer-table tbody tr")).to_have_count(2)
    assert_not_reloaded(anna)
    juergen = Customer.objects.get(last_name="Müller-Lüdenscheidt")

    # Ines looks at Jürgen; Anna edits him from her list.
    ines.goto(f"{live_server.url}/customers/{juergen.pk}/")
    ines.get_by_text("Änderungsprotokoll").click()
    mark_page(ines)
    anna.locator(f"#customer-{juergen.pk}").get_by_role("link", name="Bearbeiten").click()
    dialog = modal(anna)
    field(dialog, "Telefon").fill("030 1234567")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    changed = juergen.events.latest("pgh_id").pgh_created_at
    notice = ines.locator("[data-live-notice]")
    expect(notice).to_have_text(
        f"Von Anna Schmidt um {local_time(changed)} geändert.", timeout=LIVE
    )
    expect(ines.locator("#customer-details")).to_contain_text("030 1234567", timeout=LIVE)
    # The history she opened is still open and names the change.
    expect(ines.locator("#record-history")).to_contain_text("Telefon: — → 030 1234567")
    assert_not_reloaded(ines)
    ines.screenshot(path=artifacts / "live-detail-notice.png", full_page=True)

    # Both open the edit form. Ines types; Anna saves first.
    ines.get_by_role("link", name="Bearbeiten").click()
    ines_form = modal(ines)
    field(ines_form, "Notizen").fill("Gleitsicht, neue Fassung bestellt")
    anna.locator(f"#customer-{juergen.pk}").get_by_role("link", name="Bearbeiten").click()
    anna_form = modal(anna)
    field(anna_form, "E-Mail").fill("juergen@example.de")
    anna_form.get_by_role("button", name="Speichern").click()
    expect(anna_form).to_be_hidden()

    # Ines is told quietly; what she typed stays where it is.
    changed = juergen.events.latest("pgh_id").pgh_created_at
    form_notice = ines_form.locator("[data-live-notice]")
    expect(form_notice).to_contain_text(
        f"Von Anna Schmidt um {local_time(changed)} geändert — neu laden", timeout=LIVE
    )
    expect(field(ines_form, "Notizen")).to_have_value("Gleitsicht, neue Fassung bestellt")
    ines.screenshot(path=artifacts / "live-modal-notice.png")

    # She saves anyway: the conflict form merges, Anna's e-mail address (a
    # field Ines did not touch) taken over, Ines's notes kept, no collision.
    ines_form.get_by_role("button", name="Speichern").click()
    expect(ines_form.get_by_role("alert")).to_contain_text("zwischenzeitlich")
    expect(field(ines_form, "E-Mail")).to_have_value("juergen@example.de")
    expect(field(ines_form, "Notizen")).to_have_value("Gleitsicht, neue Fassung bestellt")
    expect(ines_form.locator(".field-conflict")).to_have_count(0)
    ines.screenshot(path=artifacts / "live-conflict-merged.png")
    ines_form.get_by_role("button", name="Speichern").click()
    expect(ines_form).to_be_hidden()

    juergen.refresh_from_db()
    assert juergen.email == "juergen@example.de"
    assert juergen.notes == "Gleitsicht, neue Fassung bestellt"
    assert str(juergen.phone) == "+49301234567"
    # Anna's list follows Ines's save too.
    expect(anna.locator(f"#customer-{juergen.pk}")).to_contain_text(
        "juergen@example.de", timeout=LIVE
    )


def test_reload_in_the_notice_loads_the_form_again(two_people, live_server, owner):
    ines, _anna = two_people
    maria = factories.customer(first_name="Maria", last_name="Huber")
    ines.goto(f"{live_server.url}/customers/{maria.pk}/")
    ines.get_by_role("link", name="Bearbeiten").click()
    dialog = modal(ines)
    expect(field(dialog, "Nachname")).to_have_value("Huber")
    # Someone else renames her meanwhile (this test is another app instance).
    data = {name: getattr(maria, name) for name in services.EDITABLE_FIELDS}
    with pghistory.context(user=owner.pk, tab="otherbrowser"):
        services.customer_update(customer_id=maria.pk, data={**data, "last_name": "Huber-Kranz"})
    dialog.get_by_role("button", name="neu laden").click(timeout=LIVE)
    expect(field(dialog, "Nachname")).to_have_value("Huber-Kranz")
    expect(dialog.locator("[data-live-notice]")).to_be_empty()


def test_changes_from_a_second_database_connection_reach_the_browser(two_people, live_server):
    _ines, anna = two_people
    maria = factories.customer(first_name="Maria", last_name="Huber")
    anna.reload()
    mark_page(anna)
    with second_connection() as other:
        other.execute(
            "UPDATE customers_customer SET first_name = 'Marianne' WHERE id = %s", [maria.pk]
        )
    expect(anna.locator(f"#customer-{maria.pk}")).to_contain_text("Marianne", timeout=LIVE)
    assert_not_reloaded(anna)


def test_calendar_appointment_list_and_products_follow_along(two_people, live_server, staff, owner):
    _ines, anna = two_people
    maria = factories.customer(first_name="Maria", last_name="Huber")
    appointment_factories.calendar_for(staff)
    day = appointment_factories.MONDAY
    anna.goto(f"{live_server.url}/appointments/day/?date={day.isoformat()}")
    mark_page(anna)
    appointment_factories.appointment(
        customer=maria, staff=staff, start=appointment_factories.at(10)
    )
    expect(anna.locator("#calendar")).to_contain_text("Huber", timeout=LIVE)

    anna.goto(f"{live_server.url}/appointments/")
    expect(anna.locator("#appointment-table")).to_contain_text("Huber")
    mark_page(anna)
    with pghistory.context(user=owner.pk):
        Customer.objects.filter(pk=maria.pk).update(last_name="Huber-Kranz")
    expect(anna.locator("#appointment-table")).to_contain_text("Huber-Kranz", timeout=LIVE)

    anna.goto(f"{live_server.url}/products/")
    mark_page(anna)
    product_factories.product(name="Titanfassung Aurora")
    expect(anna.locator("#product-table")).to_contain_text("Titanfassung Aurora", timeout=LIVE)
    assert_not_reloaded(anna)


# Delays each live reload's answer in the page, as a slow connection would.
SLOW_RELOADS = """
window.__reloads = 0;
window.__landed = 0;
const realFetch = window.fetch;
window.fetch = async (url, options) => {
  const reload = options && options.headers && options.headers["HX-Current-URL"];
  const response = await realFetch(url, options);
  if (reload) {
    window.__reloads += 1;  // the server has answered; the page sees it later
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // Landed: live.js has read the answer and swapped it in or thrown it
    // away (that happens right after the body is read, before any timer).
    const read = response.text.bind(response);
    response.text = async () => {
      try {
        return await read();
      } finally {
        setTimeout(() => { window.__landed += 1; }, 0);
      }
    };
  }
  return response;
};
"""


def test_a_slow_reload_never_overwrites_a_newer_one(two_people, live_server, owner):
    _ines, anna = two_people
    maria = factories.customer(first_name="Maria", last_name="Huber")
    anna.reload()
    anna.evaluate(SLOW_RELOADS)
    with pghistory.context(user=owner.pk):
        Customer.objects.filter(pk=maria.pk).update(first_name="Marianne")
    anna.wait_for_function("() => window.__reloads >= 1")
    # A second change while the first reload is still on its way.
    with pghistory.context(user=owner.pk):
        Customer.objects.filter(pk=maria.pk).update(last_name="Huber-Kranz")
    row = anna.locator(f"#customer-{maria.pk}")
    expect(row).to_contain_text("Huber-Kranz", timeout=8_000)
    expect(row).to_contain_text("Marianne")
    # Both slow answers have landed, the older one last: it changed nothing.
    anna.wait_for_function(
        "() => window.__landed >= 2 && window.__landed === window.__reloads", timeout=15_000
    )
    expect(row).to_contain_text("Huber-Kranz")


def test_a_reload_waits_for_the_users_own_search(two_people, live_server, owner):
    """A live reload that crosses a new search must not bring back the old results."""
    _ines, anna = two_people
    factories.customer(first_name="Maria", last_name="Huber")
    factories.customer(first_name="Jens", last_name="Vogel")
    anna.reload()
    anna.evaluate(SLOW_RELOADS)
    factories.customer(first_name="Karl", last_name="Kranz")
    anna.wait_for_function("() => window.__reloads >= 1")
    anna.get_by_label("Suche").fill("Vogel")
    table = anna.locator("#customer-table tbody tr")
    expect(table).to_have_count(1)
    # The slow reload has answered and was thrown away.
    anna.wait_for_function(
        "() => window.__landed >= 1 && window.__landed === window.__reloads", timeout=15_000
    )
    expect(table).to_have_count(1)
    expect(table).to_contain_text("Vogel")


def test_signing_out_in_another_tab_pauses_live_updates_visibly(two_people, artifacts):
    _ines, anna = two_people
    other_tab = anna.context.new_page()
    other_tab.goto(anna.url)
    other_tab.get_by_role("button", name="Abmelden").click()
    banner = anna.locator(".live-paused")
    expect(banner).to_have_text("Live-Aktualisierung unterbrochen. Seite neu laden", timeout=LIVE)
    anna.set_viewport_size({"width": 390, "height": 844})
    anna.screenshot(path=artifacts / "live-paused-390.png")
    banner.get_by_role("link", name="Seite neu laden").click()
    expect(anna.get_by_label("Benutzername")).to_be_visible()  # the login, as expected
