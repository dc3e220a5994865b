"""The fitting form in a real browser refusing a cylinder on a spherical lens
(its parameters are on the product), then saving once it is cleared."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from customers.tests import factories as customer_factories
from prescriptions.models import ContactLensFitting
from products.models import Category, LensDesign
from products.tests.factories import product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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


def test_the_fitting_refuses_a_cylinder_on_a_spherical_lens(optician_page, live_server, artifacts):
    customer = customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )
    lens = product(
        category=Category.CONTACT_LENS,
        name="Acuvue Oasys, 6 2-Wochenlinsen",
        lens_design=LensDesign.SPHERICAL,
        base_curves=[D("8.4"), D("8.8")],
        diameters=[D("14.0")],
    )
    with translation.override("de"):
        refused = gettext("This lens is spherical; a cylinder is not possible.")
    page = optician_page
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_role("link", name="Neue Kontaktlinsenanpassung").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Neue Kontaktlinsenanpassung")).to_be_visible()
    dialog.get_by_label("R Linse", exact=True).select_option(str(lens.pk))
    dialog.get_by_label("R BC", exact=True).fill("8,8")
    dialog.get_by_label("R DIA", exact=True).fill("14,0")
    dialog.get_by_label("R Sph", exact=True).fill("-2,25")
    dialog.get_by_label("R Zyl", exact=True).fill("-0,75")
    dialog.get_by_label("R A", exact=True).fill("90")
    dialog.get_by_role("button", name="Speichern").click()

    expect(dialog.locator(".eye-errors")).to_contain_text(refused)
    cylinder = dialog.get_by_label("R Zyl", exact=True)
    expect(cylinder).to_be_focused()  # the cursor goes to the refused value
    expect(cylinder).to_have_value("−0,75")
    page.screenshot(path=artifacts / "issue23-products-fitting-refused-1280.png")
    assert not ContactLensFitting.objects.exists()

    cylinder.fill("")
    dialog.get_by_label("R A", exact=True).fill("")
    dialog.get_by_role("button", name="Speichern").click()
    expect(dialog).to_be_hidden()
    saved = ContactLensFitting.objects.get()
    assert (saved.right_product, saved.right_cylinder) == (lens, None)
