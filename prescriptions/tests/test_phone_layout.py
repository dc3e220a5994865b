"""Issue 23: the refraction and contact lens history and both entry modals
at phone width (390 px) without sideways scrolling, and unchanged at
1280 px. Screenshots for people to look at go to ``test-artifacts`` as
``issue23-rx-*.png``."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from customers.tests import factories as customer_factories
from prescriptions import services
from prescriptions.models import Refraction
from prescriptions.tests.factories import refraction_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
D = Decimal


@pytest.fixture
def optician_page(page, live_server, optician, password) -> Page:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", optician.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def customer(optician):
    """A presbyopic customer with a few years of refractions (one of them
    corrected) and two contact lens fittings."""
    from products.models import Category
    from products.tests.factories import product

    customer = customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )
    optician.first_name, optician.last_name = "Sabine", "Krüger"
    optician.save()

    def record(**values) -> Refraction:
        return services.refraction_record(
            customer_id=customer.pk,
            data=refraction_data(optician, **values),
            user=optician,
            confirm_unusual=True,
        )

    record(
        date=_days_ago(800),
        right_sphere=D("0.75"),
        right_cylinder=D("-0.5"),
        right_axis=90,
        right_addition=D("1.75"),
        right_visus_cc=D("1.0"),
        right_pd=D("31.5"),
        left_sphere=D("0.5"),
        left_addition=D("1.75"),
        left_visus_cc=D("0.8"),
        left_pd=D("32"),
        vertex_distance=D("12"),
    )
    record(
        date=_days_ago(30),
        kind=Refraction.Kind.OBJECTIVE,
        right_sphere=D("1.5"),
        right_cylinder=D("-0.75"),
        right_axis=92,
        right_pd=None,
        left_sphere=D("1.25"),
        left_cylinder=D("-0.5"),
        left_axis=80,
        left_pd=None,
    )
    first = record(
        date=_days_ago(30),
        prescriber="Dr. med. Anna Berger",
        right_sphere=D("1.25"),
        right_cylinder=D("-0.5"),
        right_axis=90,
        right_addition=D("2.25"),
        right_prism_horizontal=D("1"),
        right_prism_horizontal_base="in",
        right_visus_sc=D("0.5"),
        right_visus_cc=D("1.0"),
        right_pd=D("31.5"),
        left_sphere=D("1.0"),
        left_cylinder=D("-0.25"),
        left_axis=85,
        left_addition=D("2.25"),
        left_prism_horizontal=D("1"),
        left_prism_horizontal_base="in",
        left_prism_vertical=D("0.5"),
        left_prism_vertical_base="down",
        left_visus_sc=D("0.6"),
        left_visus_cc=D("1.25"),
        left_pd=D("32"),
        vertex_distance=D("13.5"),
        binocular_notes="Prisma nach MKH",
        remarks="Gleitsichtbrille, bisher 1,75 Add",
    )
    # Corrected afterwards: the PD was measured again.
    services.refraction_correct(
        refraction_id=first.pk,
        data={**refraction_data(optician), **_values(first), "right_pd": D("31")},
        user=optician,
        confirm_unusual=True,
    )

    toric = product(category=Category.CONTACT_LENS, name="Biofinity toric")
    multifocal = product(category=Category.CONTACT_LENS, name="Biofinity multifocal")
    for date, lens, add in ((_days_ago(400), toric, None), (_days_ago(20), multifocal, D("2"))):
        services.fitting_record(
            customer_id=customer.pk,
            data={
                "date": date,
                "examiner": optician,
                "right_product": lens,
                "right_base_curve": D("8.6"),
                "right_diameter": D("14"),
                "right_sphere": D("1.5"),
                "right_cylinder": D("-0.75") if add is None else None,
                "right_axis": 170 if add is None else None,
                "right_addition": add,
                "right_replacement": "monthly",
                "left_product": lens,
                "left_base_curve": D("8.6"),
                "left_diameter": D("14"),
                "left_sphere": D("1.25"),
                "left_addition": add,
                "left_replacement": "monthly",
                "wearing_notes": "Tragezeit 10 h, gute Benetzung",
            },
            user=optician,
            confirm_unusual=True,
        )
    return customer


def _values(record: Refraction) -> dict:
    from django.forms.models import model_to_dict

    from prescriptions.services import REFRACTION_FIELDS

    values = model_to_dict(record, fields=REFRACTION_FIELDS)
    values["examiner"] = record.examiner
    return values


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}"


def assert_within_viewport(page: Page, locator: Locator) -> None:
    """Every element of ``locator`` is shown and lies inside the screen's width."""
    width = page.viewport_size["width"]
    assert locator.count() > 0
    for index in range(locator.count()):
        element = locator.nth(index)
        expect(element).to_be_visible()
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0, (element.inner_text(), box)
        assert box["x"] + box["width"] <= width + 0.5, (element.inner_text(), box)


def assert_no_scroll_inside(locator: Locator) -> None:
    """Neither the element nor anything in it scrolls sideways."""
    overflowing = locator.evaluate(
        "(root) => [root, ...root.querySelectorAll('*')]"
        ".filter((el) => el.scrollWidth > el.clientWidth + 1"
        " && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))"
        ".map((el) => el.className || el.tagName)"
    )
    assert overflowing == []


def screenshot_of(page: Page, locator: Locator, path) -> None:
    """``locator`` cut out of a full-page screenshot (an element screenshot
    scrolls, and the sticky top bar would cover part of it)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    box = locator.bounding_box()
    page.screenshot(path=path, full_page=True, clip=box)


def open_customer(page: Page, live_server, customer) -> None:
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#customer-refractions .history-record").first).to_be_visible()


def test_refraction_history_on_a_phone(optician_page, live_server, customer, artifacts):
    page = optician_page
    page.set_viewport_size(PHONE)
    open_customer(page, live_server, customer)
    section = page.locator("#customer-refractions")
    records = section.locator(".history-record")
    expect(records).to_have_count(4)
    newest = records.first
    # Add, prism, Visus and PD of both eyes, each with its label.
    for text in ("2,25", "innen", "1,0", "1,25", "31,0", "32,0"):
        expect(newest).to_contain_text(text)
    assert_within_viewport(page, newest.locator("td.num"))
    labels = newest.locator("tr:first-child td.num").evaluate_all(
        "(cells) => cells.map((cell) => getComputedStyle(cell, '::before').content)"
    )
    assert labels == ['"Sph"', '"Zyl"', '"A"', '"Add"', '"Prisma"', '"Visus cc"', '"PD"']
    # The right eye's value and the left eye's stand side by side on one line.
    right_add = newest.locator("tr:first-child td.num").nth(3).bounding_box()
    left_add = newest.locator("tr:nth-child(2) td.num").nth(3).bounding_box()
    assert abs(right_add["y"] - left_add["y"]) < 1
    assert left_add["x"] > right_add["x"]
    assert_within_viewport(page, newest.locator(".history-date, .history-examiner"))
    expect(newest.locator(".history-examiner")).to_contain_text("Sabine Krüger")
    actions = newest.locator(".history-actions a")
    expect(actions).to_have_count(2)
    assert_within_viewport(page, actions)
    # What changed against the last subjective refraction is marked.
    expect(newest.locator("td.changed").first).to_have_attribute("title", "vorher: +0,75")
    expect(section.locator(".superseded")).to_contain_text("ersetzt am")
    assert_no_sideways_scroll(page)
    assert_no_scroll_inside(section)

    fittings = page.locator("#customer-fittings")
    newest = fittings.locator(".history-record").first
    for text in ("Biofinity multifocal", "8,60", "14,0", "+1,50", "2,00", "Monatslinse"):
        expect(newest).to_contain_text(text)
    assert_within_viewport(page, newest.locator("td.num"))
    assert_within_viewport(page, newest.locator(".history-actions a"))
    changed = newest.locator("td.changed")
    expect(changed.first).to_have_attribute("title", "vorher: Biofinity toric")
    # The toric lens's cylinder and axis are gone: a dash says so.
    cleared = newest.locator("td.cleared")
    expect(cleared).to_have_count(2)
    assert cleared.first.evaluate("(cell) => getComputedStyle(cell, '::after').content") == '"–"'
    assert_no_scroll_inside(fittings)
    assert_no_sideways_scroll(page)
    screenshot_of(page, section, artifacts / "issue23-rx-history-phone.png")
    screenshot_of(page, fittings, artifacts / "issue23-rx-fittings-phone.png")
    page.screenshot(path=artifacts / "issue23-rx-customer-phone.png", full_page=True)

    # The card's button opens the correction modal.
    section.locator(".history-record").first.get_by_role("link", name="Korrigieren").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Refraktion korrigieren")).to_be_visible()
    expect(dialog.get_by_label("R PD", exact=True)).to_have_value("31,0")


def test_refraction_form_on_a_phone(optician_page, live_server, customer, artifacts):
    page = optician_page
    page.set_viewport_size(PHONE)
    open_customer(page, live_server, customer)
    page.get_by_role("link", name="Neue Refraktion").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Neue Refraktion")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_no_scroll_inside(dialog)
    assert_within_viewport(page, dialog.locator(".eye-table input, .eye-table select"))
    # Each field shows its name; R above L.
    r_sphere = dialog.get_by_label("R Sph", exact=True).bounding_box()
    l_sphere = dialog.get_by_label("L Sph", exact=True).bounding_box()
    assert l_sphere["y"] > r_sphere["y"] + r_sphere["height"]
    expect(dialog.locator(".eye-cell-addition").first).to_have_attribute("data-label", "Add")

    # Typed with Tab as at the counter: the right eye, then the left.
    dialog.get_by_label("R Sph", exact=True).click()
    for value in ("+0,75", "-0,5", "95", "2,5", "", "", "", "", "0,4", "1,0", "31,5"):
        if value:
            page.keyboard.type(value)
        page.keyboard.press("Tab")
    expect(dialog.get_by_label("L Sph", exact=True)).to_be_focused()
    for value in ("+0,5", "", "", "2,5", "", "", "", "", "0,5", "1,0", "32"):
        if value:
            page.keyboard.type(value)
        page.keyboard.press("Tab")
    expect(dialog.locator("#se-right")).to_have_text("+0,50")
    assert_no_sideways_scroll(page)
    dialog.get_by_label("R Sph", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "issue23-rx-refraction-modal-phone.png")
    dialog.locator(".record-form-bottom").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "issue23-rx-refraction-modal-phone-left.png")
    save = dialog.get_by_role("button", name="Speichern")
    assert_within_viewport(page, save)
    save.click()
    expect(dialog).to_be_hidden()
    newest = page.locator("#customer-refractions .history-record").first
    expect(newest).to_contain_text("2,50")
    expect(newest).to_contain_text("95°")
    expect(page.locator(".messages")).to_contain_text("Refraktion gespeichert.")
    assert_no_sideways_scroll(page)


def test_fitting_form_on_a_phone(optician_page, live_server, customer, artifacts):
    page = optician_page
    page.set_viewport_size(PHONE)
    open_customer(page, live_server, customer)
    page.get_by_role("link", name="Neue Kontaktlinsenanpassung").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Neue Kontaktlinsenanpassung")).to_be_visible()
    dialog.get_by_role("button", name="Werte der letzten Anpassung übernehmen").click()
    expect(dialog.get_by_label("R BC", exact=True)).to_have_value("8,60")
    assert_no_sideways_scroll(page)
    assert_no_scroll_inside(dialog)
    assert_within_viewport(page, dialog.locator(".eye-table input, .eye-table select"))
    assert_within_viewport(page, dialog.locator(".modal-footer .btn"))
    page.screenshot(path=artifacts / "issue23-rx-fitting-modal-phone.png")
    dialog.get_by_label("R Sph", exact=True).fill("+1,75")
    dialog.get_by_label("R Zyl", exact=True).fill("-0,75")
    dialog.get_by_role("button", name="Speichern").click()
    # The error is shown at the field, which stays inside the screen.
    expect(dialog.locator(".eye-errors")).to_contain_text("R A: Bitte die Achse")
    axis = dialog.get_by_label("R A", exact=True)
    expect(axis).to_be_focused()
    assert_no_sideways_scroll(page)
    assert_within_viewport(page, axis)
    dialog.locator(".record-form-bottom").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "issue23-rx-fitting-modal-phone-error.png")
    axis.fill("180")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    newest = page.locator("#customer-fittings .history-record").first
    expect(newest).to_contain_text("+1,75")
    expect(newest).to_contain_text("180°")
    assert_no_sideways_scroll(page)


def test_desktop_keeps_the_tables(optician_page, live_server, customer, artifacts):
    page = optician_page
    page.set_viewport_size(DESKTOP)
    open_customer(page, live_server, customer)
    for section in ("#customer-refractions", "#customer-fittings"):
        table = page.locator(f"{section} .history-table")
        expect(table.locator("thead")).to_be_visible()
        assert table.evaluate("(table) => getComputedStyle(table).display") == "table"
        assert_no_scroll_inside(page.locator(section))
    # R and L of a record are table rows, one above the other.
    newest = page.locator("#customer-refractions .history-record").first
    right = newest.locator("tr:first-child td.num").first.bounding_box()
    left = newest.locator("tr:nth-child(2) td.num").first.bounding_box()
    assert left["y"] > right["y"] and abs(left["x"] - right["x"]) < 1
    assert_no_sideways_scroll(page)
    page.screenshot(path=artifacts / "issue23-rx-customer-desktop.png", full_page=True)

    for link, shot in (
        ("Neue Refraktion", "refraction"),
        ("Neue Kontaktlinsenanpassung", "fitting"),
    ):
        page.get_by_role("link", name=link).click()
        dialog = page.locator("dialog#modal")
        expect(dialog.get_by_role("heading", name=link)).to_be_visible()
        dialog.get_by_role("button", name="übernehmen").first.click()
        expect(dialog.get_by_label("R Sph", exact=True)).not_to_have_value("")
        grid = dialog.locator(".eye-table")
        expect(grid.locator("thead")).to_be_visible()
        assert_no_scroll_inside(dialog)
        page.screenshot(path=artifacts / f"issue23-rx-{shot}-modal-desktop.png")
        page.once("dialog", lambda question: question.accept())
        dialog.get_by_role("link", name="Abbrechen").click()
        expect(dialog).to_be_hidden()
