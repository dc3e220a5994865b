"""The log-in, its pause after wrong passwords, "Passwort vergessen?" and the
password change, in Chromium at desk and phone width."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The server runs in this process: no 15-minute window ends mid-test."""
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: 1_800_000_030.0)


@pytest.mark.parametrize("width", [1280, 390])
def test_wrong_passwords_pause_the_login_and_the_reset_mail_sets_a_new_one(
    page, live_server, staff, password, artifacts, mailoutbox, width
):
    page.set_viewport_size({"width": width, "height": 860})
    page.goto(f"{live_server.url}/login/")
    for _ in range(5):
        page.fill("#id_username", staff.username)
        page.fill("#id_password", "falsch")
        page.click("button[type=submit]")
        page.get_by_text("Benutzername oder Passwort ist falsch").wait_for()
    page.fill("#id_username", staff.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.get_by_text("Zu viele fehlgeschlagene Anmeldeversuche").wait_for()
    page.screenshot(path=artifacts / f"login-paused-{width}.png", full_page=True)

    staff.email = "anna@optik-beispiel.de"
    staff.save()
    page.click("text=Passwort vergessen?")
    page.fill("#id_email", staff.email)
    page.screenshot(path=artifacts / f"password-reset-{width}.png", full_page=True)
    page.click("button[type=submit]")
    page.get_by_text("Prüfen Sie Ihr E-Mail-Postfach").wait_for()
    assert len(mailoutbox) == 1
    link = re.search(r"http://[^/]+(/password/reset/\S+/)", mailoutbox[0].body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.fill("#id_new_password1", "Gleitsicht-Fassung-42")
    page.fill("#id_new_password2", "Gleitsicht-Fassung-42")
    page.screenshot(path=artifacts / f"password-new-{width}.png", full_page=True)
    page.click("button[type=submit]")
    page.get_by_text("Sie können sich jetzt damit anmelden").wait_for()
    staff.refresh_from_db()
    assert staff.check_password("Gleitsicht-Fassung-42")


def test_changing_the_own_password_from_the_top_bar(
    logged_in_page, live_server, password, artifacts
):
    page = logged_in_page
    page.click("a.username")
    page.wait_for_url(f"{live_server.url}/password/change/")
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", "kurz")
    page.fill("#id_new_password2", "kurz")
    page.click("main button[type=submit]")
    page.get_by_text("mindestens 12 Zeichen").wait_for()
    page.screenshot(path=artifacts / "password-change-1280.png", full_page=True)
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", "Kontaktlinse-Monat-7")
    page.fill("#id_new_password2", "Kontaktlinse-Monat-7")
    page.click("main button[type=submit]")
    page.get_by_text("Ihr neues Passwort ist gespeichert").wait_for()
