"""The main menu at desk width and folded behind a button on a phone."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_menu_folds_behind_a_button_and_fits(logged_in_page, live_server, artifacts):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    button = page.get_by_role("button", name="Menü")
    expect(nav).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "menu-closed-390.png")

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    deleted = nav.get_by_role("link", name="Gelöschte Kunden", exact=True)
    for name in [
        "Kunden",
        "Termine",
        "Artikel",
        "Fehlgeschlagene Nachrichten",
        "Gelöschte Kunden",
        "Passwort ändern",
    ]:
        link = nav.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        # Whole, not cut: every entry lies inside the phone's width.
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "menu-open-390.png")

    deleted.click()
    expect(page.get_by_role("heading", name="Gelöschte Kunden", exact=True)).to_be_visible()
    # A new page starts with the menu folded again.
    expect(nav).to_be_hidden()
    button.click()
    button.click()
    expect(nav).to_be_hidden()


def test_the_owners_full_menu_fits_one_line_at_1280(page, live_server, owner, password, artifacts):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Recall", exact=True)).to_be_visible()
    links = [link for link in nav.get_by_role("link").all() if link.is_visible()]
    assert len(links) >= 7
    assert len({round(link.bounding_box()["y"]) for link in links}) == 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    # Every entry in sight, none scrolled away; the rest behind "Mehr".
    assert nav.evaluate("(nav) => nav.scrollWidth <= nav.clientWidth")
    nav.get_by_role("button", name="Mehr").click()
    more = page.locator("#nav-more-list a").all()
    assert {link.inner_text() for link in more} >= {"Fehlgeschlagene Nachrichten", "Import"}
    for link in more:
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, link.inner_text()
    page.screenshot(path=artifacts / "menu-owner-1280.png")


def test_at_desk_width_the_menu_is_always_open(logged_in_page):
    page = logged_in_page
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Kunden", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    # The less used entries fold behind "Mehr": a click, Escape, a click elsewhere.
    deleted = nav.get_by_role("link", name="Gelöschte Kunden", exact=True)
    more = nav.get_by_role("button", name="Mehr")
    expect(deleted).to_be_hidden()
    more.click()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(deleted).to_be_visible()
    page.keyboard.press("Escape")
    expect(deleted).to_be_hidden()
    more.click()
    page.locator("main").click(position={"x": 5, "y": 5})
    expect(deleted).to_be_hidden()
    more.click()
    deleted.click()
    expect(page.get_by_role("heading", name="Gelöschte Kunden", exact=True)).to_be_visible()
    # Its page is among them: "Mehr" is marked as the current place.
    expect(page.locator("#nav-more-list [aria-current=page]")).to_have_text("Gelöschte Kunden")
    expect(more).to_have_css("font-weight", "600")
    # The password link is the name in the top bar here, not a menu entry.
    expect(nav.get_by_role("link", name="Passwort ändern", exact=True)).to_be_hidden()
