"""Logging in: failed attempts are limited (shop pages and admin alike), the
password rules, changing the password and "Passwort vergessen?"."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOW = 1_800_000_030.0  # a fixed moment, early in a 15-minute window
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: NOW)


def login(client, username, password, url="/login/", address="192.0.2.10"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_wrong_passwords_pause_that_name_from_that_address(client, staff, password, caplog):
    for _ in range(5):
        response = login(client, staff.username, "falsch")
        assert "Benutzername oder Passwort ist falsch" in response.content.decode()
    refused = login(client, staff.username, password)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text
    window_end = datetime.datetime.fromtimestamp((NOW // 900 + 1) * 900, tz=BERLIN)
    assert f"bitte versuchen Sie es um {window_end:%H:%M} Uhr erneut" in text
    assert "_auth_user_id" not in client.session
    assert caplog.text.count("Failed log-in for 'empfang'") == 5
    assert "Log-in refused while paused for 'empfang'" in caplog.text
    # Typing a colleague's name elsewhere does not lock the colleague out.
    assert login(client, staff.username, password, address="192.0.2.99").status_code == 302


def test_the_pause_ends_with_the_cool_down(client, staff, password, monkeypatch):
    for _ in range(5):
        login(client, staff.username, "falsch")
    monkeypatch.setattr("opticrm.lib.ratelimit.clock", lambda: NOW + 15 * 60)
    assert login(client, staff.username, password).status_code == 302


def test_many_names_from_one_address_are_paused_too(client, staff, password, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = "10/15m"
    for number in range(10):
        login(client, f"rate{number}", "falsch")
    refused = login(client, staff.username, password)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in refused.content.decode()


def test_the_admin_login_counts_the_same_failures(client, owner, password):
    for _ in range(3):
        login(client, owner.username, "falsch", url="/admin/login/")
    for _ in range(2):
        login(client, owner.username, "falsch")
    refused = login(client, owner.username, password, url="/admin/login/")
    assert refused.status_code == 200
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in refused.content.decode()


def test_the_login_page_offers_password_reset(client):
    page = client.get("/login/").content.decode()
    assert 'href="/password/reset/"' in page and "Passwort vergessen?" in page


def test_a_logged_in_user_changes_the_password_with_the_stricter_rules(client, staff, password):
    client.force_login(staff)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "Passwort ändern" in page.content.decode()
    short = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Brille2026", "new_password2": "Brille2026"},
    )
    assert "mindestens 12 Zeichen" in short.content.decode()
    common = "1qaz2wsx3edc"
    refused = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": common, "new_password2": common},
    )
    assert "Dieses Passwort ist zu üblich" in refused.content.decode()
    new = "Gleitsicht-Fassung-42"
    done = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Ihr neues Passwort ist gespeichert" in done.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(new)


def test_the_username_in_the_top_bar_leads_to_the_password_change(client, staff):
    client.force_login(staff)
    page = client.get("/customers/").content.decode()
    assert 'href="/password/change/"' in page


def test_forgotten_password_by_email(client, staff, mailoutbox):
    staff.email = "anna@optik-beispiel.de"
    staff.save()
    sent = client.post(reverse("password_reset"), {"email": "ANNA@optik-beispiel.de"}, follow=True)
    assert "Prüfen Sie Ihr E-Mail-Postfach" in sent.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anna@optik-beispiel.de"]
    assert mail.subject == "OptiCRM: neues Passwort festlegen"
    assert "Ihr Benutzername: empfang" in mail.body
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.body).group(1)
    form = client.get(link, follow=True)
    assert "Neues Passwort festlegen" in form.content.decode()
    new = "Kontaktlinse-Monat-7"
    saved = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert "Sie können sich jetzt damit anmelden" in saved.content.decode()
    assert login(client, staff.username, new).status_code == 302


def test_forgotten_password_mails_are_limited_and_tell_nothing(client, staff, mailoutbox):
    staff.email = "anna@optik-beispiel.de"
    staff.save()
    for _ in range(5):
        response = client.post(reverse("password_reset"), {"email": staff.email}, follow=True)
        assert "Prüfen Sie Ihr E-Mail-Postfach" in response.content.decode()
    assert len(mailoutbox) == 3
    unknown = client.post(reverse("password_reset"), {"email": "wer@example.de"}, follow=True)
    assert "Prüfen Sie Ihr E-Mail-Postfach" in unknown.content.decode()
    assert len(mailoutbox) == 3


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
@pytest.mark.parametrize("username", ["a\x00b", "\x00", "x" * 5000, ""])
def test_hostile_user_names_get_a_message_not_a_500(client, url, username):
    response = client.post(url, {"username": username, "password": "geheim"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_nul_in_the_user_name_is_named_on_the_login_page(client):
    page = client.post("/login/", {"username": "a\x00b", "password": "geheim"})
    assert "Nullzeichen sind nicht erlaubt." in page.content.decode()


def test_an_empty_login_says_what_is_missing(client):
    page = client.post("/login/", {"username": "", "password": ""}).content.decode()
    assert page.count("Dieses Feld ist zwingend erforderlich.") == 2


@pytest.mark.parametrize("email", ["a\x00@example.de", "\x00", "x" * 5000 + "@example.de"])
def test_hostile_reset_addresses_get_a_message_not_a_500(client, email, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 200
    assert mailoutbox == []
