"""The customer screens through Django's test client, as a browser and as htmx."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Customer
from customers.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("customers:list")


def valid_form(**overrides) -> dict:
    data = {
        "first_name": "Käthe",
        "last_name": "Straßburger",
        "email": "kaethe@example.de",
        "phone": "0151 23456789",
        "date_of_birth": "12.03.1965",
        "insurance_provider": "",
        "last_exam_date": "01.02.2026",
        "notes": "Gleitsicht",
        "status": "active",
    }
    data.update(overrides)
    return data


def rows(response) -> list[str]:
    """Last names in the order the table shows them."""
    return [c.last_name for c in response.context["page"].object_list]


# --- Access ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LIST, reverse("customers:create"), reverse("customers:deleted"), "/customers/1/"],
)
def test_login_required(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")


def test_login_page_is_german(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "Anmelden" in response.content.decode()
    assert "Benutzername" in response.content.decode()


def test_login_and_logout(client, staff, password):
    response = client.post("/login/", {"username": staff.username, "password": password})
    assert response.status_code == 302 and response.url == "/"  # the start page (Heute)
    assert client.post("/logout/").status_code == 302
    assert client.get(LIST).status_code == 302


def test_wrong_password_is_explained_in_german(client, staff):
    response = client.post("/login/", {"username": staff.username, "password": "falsch"})
    assert "Benutzername oder Passwort ist falsch" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "name", "needs_deleted"),
    [
        ("get", "customers:list", False),
        ("get", "customers:detail", False),
        ("get", "customers:create", False),
        ("post", "customers:update", False),
        ("post", "customers:delete", False),
        ("get", "customers:deleted", True),
        ("post", "customers:restore", True),
        ("post", "customers:purge", True),
    ],
)
def test_permission_denied_without_permission(outsider_client, method, name, needs_deleted):
    customer = factories.customer()
    if needs_deleted:
        services.customer_soft_delete(customer_id=customer.pk)
    args = (
        [] if name in ("customers:list", "customers:create", "customers:deleted") else [customer.pk]
    )
    response = getattr(outsider_client, method)(reverse(name, args=args))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.version == (2 if needs_deleted else 1)


def test_staff_may_not_delete_permanently(staff_client):
    customer = factories.customer()
    services.customer_soft_delete(customer_id=customer.pk)
    response = staff_client.post(reverse("customers:purge", args=[customer.pk]))
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_unknown_customer_is_404(staff_client):
    assert staff_client.get("/customers/999999/").status_code == 404
    assert staff_client.get("/customers/999999/edit/").status_code == 404


# --- List ------------------------------------------------------------------


@pytest.fixture
def shop(db):
    aok = factories.insurance("AOK Bayern")
    tk = factories.insurance("Techniker Krankenkasse (TK)")
    return {
        "mueller": factories.customer(
            first_name="Hans",
            last_name="Müller",
            email="hans@example.de",
            insurance_provider=aok,
            date_of_birth=datetime.date(1950, 1, 1),
            last_exam_date=datetime.date(2024, 5, 1),
        ),
        "grosse": factories.customer(
            first_name="Ute",
            last_name="Große",
            insurance_provider=tk,
            status=Customer.Status.PROSPECT,
            phone="0151 23456789",
            date_of_birth=datetime.date(1990, 1, 1),
        ),
        "adler": factories.customer(
            first_name="Anna",
            last_name="Adler",
            status=Customer.Status.INACTIVE,
            date_of_birth=datetime.date(1970, 1, 1),
            last_exam_date=datetime.date(2025, 1, 1),
        ),
    }


def test_list_full_page(staff_client, shop):
    response = staff_client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and 'id="customer-filters"' in body and 'id="customer-table"' in body
    assert rows(response) == ["Adler", "Große", "Müller"]
    assert "Neuer Kunde" in body
    assert "01512 3456789" in body  # national format, as libphonenumber groups it
    assert "01.01.1950" in body  # German date


def test_list_htmx_renders_only_the_table(staff_client, shop):
    response = staff_client.get(LIST, {"q": "adler"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="customer-table"')
    assert "<html" not in body and "customer-filters" in body  # only as form= owner
    assert rows(response) == ["Adler"]


def test_history_restore_request_gets_the_whole_page(staff_client, shop):
    response = staff_client.get(LIST, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "prospect"}, ["Große"]),
        ({"status": "inactive"}, ["Adler"]),
        ({"q": "mueller"}, ["Müller"]),
        ({"q": "grosse"}, ["Große"]),
        ({"q": "0151"}, ["Große"]),
        ({"q": "nobody"}, []),
        ({"status": "bogus"}, ["Adler", "Große", "Müller"]),
    ],
)
def test_list_filters_and_search(staff_client, shop, params, expected):
    assert rows(staff_client.get(LIST, params)) == expected


def test_list_filter_by_insurance(staff_client, shop):
    aok = shop["mueller"].insurance_provider
    assert rows(staff_client.get(LIST, {"insurance": aok.pk})) == ["Müller"]


@pytest.mark.parametrize("query", ["?!", "-", "…", "?! müller"])
def test_a_search_without_letters_or_digits_finds_nothing_and_fails_nothing(
    staff_client, shop, query
):
    response = staff_client.get(LIST, {"q": query, "sort": "email"})
    assert response.status_code == 200
    assert rows(response) == ([] if query != "?! müller" else ["Müller"])


def test_search_result_says_nothing_found(staff_client, shop):
    assert "Keine Kunden gefunden." in staff_client.get(LIST, {"q": "xyz"}).content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Adler", "Große", "Müller"]),
        ("-name", ["Müller", "Große", "Adler"]),
        ("date_of_birth", ["Müller", "Adler", "Große"]),
        ("-date_of_birth", ["Große", "Adler", "Müller"]),
        ("last_exam", ["Müller", "Adler", "Große"]),  # no exam: last
        ("-last_exam", ["Adler", "Müller", "Große"]),
        ("status", ["Müller", "Adler", "Große"]),
        ("insurance", ["Müller", "Große", "Adler"]),
        ("email", ["Müller", "Adler", "Große"]),  # blanks last
        ("phone", ["Große", "Adler", "Müller"]),
        ("-phone", ["Große", "Müller", "Adler"]),
        ("nonsense", ["Adler", "Große", "Müller"]),
    ],
)
def test_list_sort(staff_client, shop, sort, expected):
    assert rows(staff_client.get(LIST, {"sort": sort})) == expected


def test_sort_links_keep_search_and_filters(staff_client, shop):
    body = staff_client.get(LIST, {"q": "a", "status": "active", "sort": "name"}).content.decode()
    assert 'href="?q=a&amp;status=active&amp;sort=-name"' in body
    assert 'aria-sort="ascending"' in body


def test_pagination_and_page_size(staff_client):
    for number in range(30):
        factories.customer(last_name=f"Kunde{number:02d}")
    first = staff_client.get(LIST)
    assert len(rows(first)) == 25
    second = staff_client.get(LIST, {"page": 2})
    assert rows(second) == [f"Kunde{n:02d}" for n in range(25, 30)]
    assert len(rows(staff_client.get(LIST, {"page_size": 50}))) == 30
    assert len(rows(staff_client.get(LIST, {"page_size": 7}))) == 25  # not offered
    assert len(rows(staff_client.get(LIST, {"page": "x"}))) == 25
    assert rows(staff_client.get(LIST, {"page": 99})) == rows(second)  # last page


def test_list_query_count_does_not_grow(staff_client, django_assert_max_num_queries):
    provider = factories.insurance()

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from opticrm.lib.pagination import forget_estimates

        forget_estimates()  # as a worker's first view: with the planner's estimate
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(LIST, {"page_size": 100}).status_code == 200
        return len(queries)

    for number in range(10):
        factories.customer(last_name=f"A{number}", insurance_provider=provider)
    with_ten = count_queries()
    for number in range(190):
        factories.customer(last_name=f"B{number}", insurance_provider=provider)
    with_two_hundred = count_queries()
    assert with_ten == with_two_hundred
    # A search asks the planner how many it will match (match_before_sorting),
    # as the unfiltered list asks it how many customers there are; its page
    # and its count come in one query.
    with django_assert_max_num_queries(with_ten):
        staff_client.get(LIST, {"page_size": 100, "q": "a", "status": "active"})
    # Session, user, permissions, live counters, the planner's estimate, count,
    # the page's ids, its rows, their next appointments: deep pages skip ids,
    # not table rows.
    assert with_ten <= 11


# --- Create and edit ----------------------------------------------------------


def test_create_form_in_modal(staff_client):
    response = staff_client.get(reverse("customers:create"), **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'id="modal-title"' in body and "Neuer Kunde" in body


def test_create_form_as_page_without_htmx(staff_client):
    body = staff_client.get(reverse("customers:create")).content.decode()
    assert "<html" in body and 'name="first_name"' in body


def test_create_via_htmx_closes_modal_and_refreshes_table(staff_client):
    response = staff_client.post(reverse("customers:create"), valid_form(), **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"closeModal": True, "customerSaved": True}
    assert "Kunde Käthe Straßburger angelegt." in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    customer = Customer.objects.get()
    assert customer.last_name == "Straßburger"
    assert str(customer.phone) == "+4915123456789"
    assert customer.date_of_birth == datetime.date(1965, 3, 12)


def test_create_without_htmx_redirects_to_detail(staff_client):
    response = staff_client.post(reverse("customers:create"), valid_form())
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == f"/customers/{customer.pk}/"
    assert "Kunde Käthe Straßburger angelegt." in staff_client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "kaethe@", "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
        ("first_name", "  ", "Bitte geben Sie einen Namen ein."),
        ("phone", "12345", "Bitte geben Sie eine gültige Telefonnummer ein"),
        ("date_of_birth", "31.02.1990", "Bitte ein gültiges Datum eingeben."),
        ("date_of_birth", "01.01.2999", "Das Datum darf nicht in der Zukunft liegen."),
        ("last_exam_date", "01.01.1960", "kann nicht vor dem Geburtsdatum liegen"),
    ],
)
def test_invalid_create_rerenders_form_in_modal(staff_client, field, value, message):
    response = staff_client.post(reverse("customers:create"), valid_form(**{field: value}), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert message in body
    assert 'value="Straßburger"' in body  # the input is kept
    assert not Customer.objects.exists()


def test_duplicate_is_a_warning_and_can_be_saved_anyway(staff_client):
    existing = factories.customer(
        first_name="Käthe", last_name="Straßburger", date_of_birth=datetime.date(1965, 3, 12)
    )
    warned = staff_client.post(reverse("customers:create"), valid_form(), **HTMX)
    assert "Möglicher Doppeleintrag" in warned.content.decode()
    assert f"/customers/{existing.pk}/" in warned.content.decode()
    assert Customer.objects.count() == 1
    saved = staff_client.post(
        reverse("customers:create"), valid_form(confirm_duplicates="1"), **HTMX
    )
    assert "closeModal" in saved["HX-Trigger"]
    assert Customer.objects.count() == 2


def test_duplicate_by_email(staff_client):
    factories.customer(email="kaethe@example.de")
    warned = staff_client.post(reverse("customers:create"), valid_form(), **HTMX)
    assert "Möglicher Doppeleintrag" in warned.content.decode()


def test_edit_form_is_filled_in(staff_client, shop):
    body = staff_client.get(
        reverse("customers:update", args=[shop["grosse"].pk]), **HTMX
    ).content.decode()
    assert 'value="Große"' in body and 'value="01512 3456789"' in body
    assert 'name="version" value="1"' in body


def test_edit_saves(staff_client, staff, shop):
    customer = shop["grosse"]
    response = staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        valid_form(first_name="Ute", last_name="Große", version="1"),
        **HTMX,
    )
    assert "Kunde erfolgreich gespeichert." in response.content.decode()
    customer.refresh_from_db()
    assert (customer.email, customer.version, customer.updated_by) == (
        "kaethe@example.de",
        2,
        staff,
    )


def test_concurrent_edit_does_not_overwrite(staff_client, shop):
    customer = shop["grosse"]
    # Someone else saves first, from version 1.
    services.customer_update(
        customer_id=customer.pk, data={"email": "neu@example.de"}, expected_version=1
    )
    response = staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        valid_form(first_name="Ute", last_name="Große", email="meins@example.de", version="1"),
        **HTMX,
    )
    body = response.content.decode()
    assert "HX-Trigger" not in response
    assert "zwischenzeitlich von jemand anderem geändert" in body
    assert "neu@example.de" in body  # the value saved meanwhile
    assert 'value="meins@example.de"' in body  # the user's input is kept
    assert 'name="version" value="2"' in body  # a second save is deliberate
    customer.refresh_from_db()
    assert customer.email == "neu@example.de"

    again = staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        valid_form(first_name="Ute", last_name="Große", email="meins@example.de", version="2"),
        **HTMX,
    )
    assert "closeModal" in again["HX-Trigger"]
    customer.refresh_from_db()
    assert customer.email == "meins@example.de"


def test_database_failure_keeps_modal_open(staff_client, monkeypatch):
    from django.db import OperationalError

    def broken(**kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(services, "customer_create", broken)
    response = staff_client.post(reverse("customers:create"), valid_form(), **HTMX)
    body = response.content.decode()
    assert "Fehler beim Speichern" in body and 'value="Straßburger"' in body
    assert "HX-Trigger" not in response


# --- Detail, delete, restore --------------------------------------------------


def test_detail_shows_all_fields(staff_client, shop):
    body = staff_client.get(f"/customers/{shop['mueller'].pk}/").content.decode()
    for text in ["Hans Müller", "hans@example.de", "01.01.1950", "AOK Bayern", "01.05.2024"]:
        assert text in body
    assert "Erstellt" in body and "Zuletzt geändert" in body


def test_detail_names_who_changed_the_customer_last_without_a_query_of_its_own(
    staff_client, staff, shop
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff.first_name, staff.last_name = "Petra", "Vogel"
    staff.save()
    services.customer_update(customer_id=shop["mueller"].pk, data={"notes": "neu"}, user=staff)
    with CaptureQueriesContext(connection) as captured:
        body = staff_client.get(f"/customers/{shop['mueller'].pk}/").content.decode()
    assert " · Petra Vogel</dd>" in body
    assert not [q for q in captured if '"auth_user"."id" = ' in q["sql"]]
    page_query = next(q["sql"] for q in captured if 'FROM "customers_customer"' in q["sql"])
    assert '"auth_user"."password"' not in page_query  # only the name of who changed it


def test_soft_delete_and_restore(staff_client, shop):
    customer = shop["mueller"]
    confirm = staff_client.get(reverse("customers:delete", args=[customer.pk]), **HTMX)
    assert "Hans Müller" in confirm.content.decode()
    deleted = staff_client.post(reverse("customers:delete", args=[customer.pk]), **HTMX)
    assert json.loads(deleted["HX-Trigger"])["customerSaved"]
    assert "Müller" not in rows(staff_client.get(LIST))
    deleted_list = staff_client.get(reverse("customers:deleted"))
    assert rows(deleted_list) == ["Müller"]
    when = timezone.localtime(Customer.objects.get(pk=customer.pk).deleted_at)
    assert f"Gelöscht am {when:%d.%m.%Y %H:%M}" in deleted_list.content.decode()
    assert 'name="csrfmiddlewaretoken"' in deleted_list.content.decode()  # the restore form
    assert staff_client.get(f"/customers/{customer.pk}/").status_code == 410  # "gelöscht"

    restored = staff_client.post(reverse("customers:restore", args=[customer.pk]))
    assert restored.status_code == 302
    assert "Müller" in rows(staff_client.get(LIST))
    assert rows(staff_client.get(reverse("customers:deleted"))) == []


def test_owner_may_purge(owner_client, shop):
    customer = shop["mueller"]
    services.customer_soft_delete(customer_id=customer.pk)
    url = reverse("customers:purge", args=[customer.pk])
    response = owner_client.post(url, {"confirm": "on"}, **HTMX)
    assert "wurden gelöscht" in response.content.decode()
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_only_get_and_post(staff_client, shop):
    assert staff_client.delete(LIST).status_code == 405
    assert (
        staff_client.get(reverse("customers:restore", args=[shop["adler"].pk])).status_code == 405
    )


def test_delete_from_detail_page_goes_back_to_list(staff_client, shop):
    customer = shop["mueller"]
    response = staff_client.post(
        reverse("customers:delete", args=[customer.pk]),
        HTTP_HX_CURRENT_URL=f"http://testserver/customers/{customer.pk}/",
        **HTMX,
    )
    assert response["HX-Redirect"] == LIST
    assert "gelöscht" in staff_client.get(LIST).content.decode()


def test_german_by_default_and_english_selectable(staff_client):
    assert "Neuer Kunde" in staff_client.get(LIST).content.decode()
    response = staff_client.post("/i18n/setlang/", {"language": "en", "next": LIST})
    assert response.status_code == 302 and response.url == LIST
    body = staff_client.get(LIST).content.decode()
    assert "New customer" in body and '<html lang="en">' in body


# --- Findings of the first review ---------------------------------------------


def test_expired_session_sends_htmx_to_the_login_page(client):
    response = client.post(reverse("customers:create"), valid_form(), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/login/?next=")


def test_browser_language_does_not_switch_to_english(staff_client):
    body = staff_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Neuer Kunde" in body and '<html lang="de">' in body


def test_german_error_pages(client, staff, outsider):
    client.force_login(staff)
    not_found = client.get("/customers/999999/")
    assert not_found.status_code == 404 and "Nicht gefunden" in not_found.content.decode()
    client.force_login(outsider)
    denied = client.get(LIST)
    assert denied.status_code == 403 and "Zugriff verweigert" in denied.content.decode()
    assert "Abmelden" in denied.content.decode()  # the layout, with a way out


def test_two_digit_years_are_read_as_an_optician_means_them(staff_client):
    """Issue 23: a birth date and the last exam lie in the past: "3.4.61" is
    1961, and a day that does not exist is refused in German."""
    today = timezone.localdate()
    response = staff_client.post(
        reverse("customers:create"),
        valid_form(date_of_birth="3.4.61", last_exam_date=f"{today.day}.{today.month}.{today:%y}"),
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]
    customer = Customer.objects.get()
    assert customer.date_of_birth == datetime.date(1961, 4, 3)
    assert customer.last_exam_date == today
    refused = staff_client.post(
        reverse("customers:create"),
        valid_form(last_name="Anders", date_of_birth="31.4.61"),
        **HTMX,
    )
    assert "Bitte ein gültiges Datum eingeben." in refused.content.decode()
    assert Customer.objects.count() == 1


def test_conflict_marks_only_fields_that_really_differ(staff_client, shop):
    customer = shop["mueller"]
    services.customer_update(
        customer_id=customer.pk, data={"email": "neu@example.de"}, expected_version=1
    )
    response = staff_client.post(
        reverse("customers:update", args=[customer.pk]),
        {
            "first_name": "Hans",
            "last_name": "Müller",
            "email": "meins@example.de",
            "phone": "",
            "date_of_birth": "01.01.1950",
            "insurance_provider": customer.insurance_provider_id,
            "last_exam_date": "01.05.2024",
            "notes": "",
            "status": "active",
            "country": "DE",  # a select always posts its value
            "version": "1",
        },
        **HTMX,
    )
    assert set(response.context["form"].conflict_display) == {"email"}


@pytest.mark.parametrize("version", [None, "abc"])
def test_edit_without_a_valid_version_is_refused(staff_client, shop, version):
    customer = shop["grosse"]
    data = valid_form(first_name="Ute", last_name="Große")
    if version is not None:
        data["version"] = version
    response = staff_client.post(reverse("customers:update", args=[customer.pk]), data, **HTMX)
    assert "Dieses Formular ist veraltet" in response.content.decode()
    customer.refresh_from_db()
    assert customer.version == 1


def test_duplicate_warning_is_not_repeated_for_unrelated_edits(staff_client):
    factories.customer(email="familie@example.de", last_name="Vater")
    child = factories.customer(email="familie@example.de", last_name="Kind")
    response = staff_client.post(
        reverse("customers:update", args=[child.pk]),
        valid_form(
            first_name="Erika",
            last_name="Kind",
            email="familie@example.de",
            phone="",
            date_of_birth="17.05.1980",
            last_exam_date="",
            notes="neue Notiz",
            version="1",
        ),
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]


def test_search_with_umlaut_finds_transliterated_name(staff_client):
    factories.customer(last_name="Mueller")
    assert rows(staff_client.get(LIST, {"q": "Müller"})) == ["Mueller"]


def test_delete_with_garbled_current_url_header(staff_client, shop):
    customer = shop["adler"]
    response = staff_client.post(
        reverse("customers:delete", args=[customer.pk]),
        HTTP_HX_CURRENT_URL="http://[broken",
        **HTMX,
    )
    assert "closeModal" in response["HX-Trigger"]


def test_very_long_names_with_sharp_s_are_saved(staff_client):
    response = staff_client.post(
        reverse("customers:create"), valid_form(first_name="ß" * 100, last_name="ß" * 100), **HTMX
    )
    assert "closeModal" in response["HX-Trigger"]
    assert Customer.objects.get().last_name == "ß" * 100


def test_invalid_filter_keeps_the_sort(staff_client, shop):
    assert rows(staff_client.get(LIST, {"sort": "-name", "insurance": "abc"})) == [
        "Müller",
        "Große",
        "Adler",
    ]


def test_empty_table_has_no_range_line(staff_client):
    body = staff_client.get(LIST).content.decode()
    assert "0–0" not in body and "Noch keine Kunden angelegt." in body


# --- Appointments on customer screens --------------------------------------------


def test_next_appointment_column_and_sort(staff_client, staff, shop):
    from appointments.tests.factories import MONDAY, TUESDAY, appointment, at, german

    appointment(staff=staff, customer=shop["grosse"], start=at(10))
    appointment(staff=staff, customer=shop["adler"], start=at(11))
    appointment(staff=staff, customer=shop["adler"], start=at(12, day=TUESDAY))
    response = staff_client.get(LIST, {"sort": "next_appointment"})
    assert rows(response) == ["Große", "Adler", "Müller"]  # none: last
    body = response.content.decode()
    assert f'{german(MONDAY)} <span class="time">10:00' in body
    assert f'{german(MONDAY)} <span class="time">11:00' in body
    assert german(TUESDAY) not in body  # only the earliest per customer


def test_next_appointment_costs_one_query_per_page(
    staff_client, staff, django_assert_max_num_queries
):
    from appointments.tests.factories import appointment, at

    for hour in range(9, 18):
        appointment(staff=staff, start=at(hour))
    with django_assert_max_num_queries(11):  # see test_list_query_count_does_not_grow
        staff_client.get(LIST)


def test_detail_lists_appointments_and_offers_booking(staff_client, staff, shop):
    from appointments.tests.factories import MONDAY, appointment, at, german

    customer = shop["mueller"]
    appointment(staff=staff, customer=customer, start=at(10))
    body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"Mo {german(MONDAY)}, 10:00" in body and "Sehtest" in body
    assert f"/appointments/new/?customer={customer.pk}" in body


def test_detail_shows_upcoming_soonest_first_and_the_fifty_newest_past(staff_client, staff, shop):
    from appointments import selectors as appointment_selectors
    from appointments import services as appointment_services
    from appointments.tests.factories import appointment_type

    customer = shop["mueller"]
    today = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)

    def book(start):
        data = {"customer": customer, "staff": staff, "type": appointment_type(), "start": start}
        # Sundays among the days: booked as the owner may, outside opening hours.
        appointment_services.appointment_book(data=data, allow_outside_hours=True)

    for days in (3, 1, 2):
        book(today + datetime.timedelta(days=days))
    for days in range(1, 56):
        book(today - datetime.timedelta(days=days))

    shown = appointment_selectors.customer_appointments(customer)
    assert [line.start for line in shown["upcoming"]] == [
        today + datetime.timedelta(days=days) for days in (1, 2, 3)
    ]
    assert [line.start for line in shown["past"]] == [
        today - datetime.timedelta(days=days) for days in range(1, 51)
    ]
    body = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    soonest = (today + datetime.timedelta(days=1)).strftime("%d.%m.%Y, 10:00")
    oldest_shown = (today - datetime.timedelta(days=50)).strftime("%d.%m.%Y, 10:00")
    not_shown = (today - datetime.timedelta(days=51)).strftime("%d.%m.%Y, 10:00")
    assert soonest in body and oldest_shown in body and not_shown not in body


def test_names_sort_in_german_dictionary_order(staff_client):
    for first, last in [
        ("Jürgen", "Müller-Lüdenscheidt"),
        ("Hans", "Müller"),
        ("Ömer", "Özdemir"),
        ("Otto", "Ostermann"),
        ("Anna", "Zander"),
        ("Jan", "van der Berg"),
    ]:
        factories.customer(first_name=first, last_name=last)
    assert rows(staff_client.get(LIST)) == [
        "Müller",
        "Müller-Lüdenscheidt",
        "Ostermann",
        "Özdemir",
        "van der Berg",
        "Zander",
    ]


def test_detail_query_count_does_not_grow_with_appointments(staff_client, staff, shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appointments.tests.factories import appointment, at

    customer = shop["mueller"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(f"/customers/{customer.pk}/")
        return len(captured)

    appointment(staff=staff, customer=customer, start=at(9))
    few = queries()
    for hour in range(10, 18):
        appointment(staff=staff, customer=customer, start=at(hour))
    assert queries() == few


def test_detail_refreshes_after_an_appointment_is_saved(staff_client, shop):
    body = staff_client.get(f"/customers/{shop['adler'].pk}/").content.decode()
    assert "appointmentSaved from:body" in body and "customerSaved from:body" in body


def test_an_old_link_to_a_deleted_customer_says_so_and_offers_the_restore(staff_client, owner):
    customer = factories.customer(first_name="Xaver", last_name="Quellenbrunn")
    services.customer_soft_delete(customer_id=customer.pk)
    page = staff_client.get(f"/customers/{customer.pk}/")
    body = page.content.decode()
    assert page.status_code == 410
    assert "Dieser Kunde wurde gelöscht" in body and "Wiederherstellen" in body
    assert "Quellenbrunn" in body  # front desk may restore (customers.delete_customer)
    restored = staff_client.post(
        f"/customers/{customer.pk}/restore/", {"next": f"/customers/{customer.pk}/"}
    )
    assert restored["Location"] == f"/customers/{customer.pk}/"
    assert staff_client.get(f"/customers/{customer.pk}/").status_code == 200


def test_without_the_restore_permission_the_deleted_customer_stays_nameless(
    client, django_user_model
):
    from django.contrib.auth.models import Permission

    reader = django_user_model.objects.create_user(username="leser", password="x")
    reader.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(reader)
    customer = factories.customer(last_name="Quellenbrunn")
    services.customer_soft_delete(customer_id=customer.pk)
    page = client.get(f"/customers/{customer.pk}/")
    assert page.status_code == 410
    body = page.content.decode()
    assert "Dieser Kunde wurde gelöscht" in body
    assert "Quellenbrunn" not in body and "Wiederherstellen" not in body
    assert client.get("/customers/99999999/").status_code == 404


def test_a_new_customer_is_one_click_away_after_saving(staff_client):
    response = staff_client.post(
        reverse("customers:create"),
        {"first_name": "Jürgen", "last_name": "<b>Weiß</b>", "status": "active"},
        **HTMX,
    )
    customer = Customer.objects.get()
    body = response.content.decode()
    assert "Kunde Jürgen &lt;b&gt;Weiß&lt;/b&gt; angelegt." in body  # the name stays text
    assert f'<a href="/customers/{customer.pk}/">Zum Kunden</a>' in body


def test_an_email_address_breaks_at_the_at_sign_and_dots_not_mid_word(staff_client):
    factories.customer(email="juergen.mueller@optik-beispiel.de")
    body = staff_client.get(LIST).content.decode()
    assert "juergen.<wbr>mueller<wbr>@optik-beispiel.<wbr>de</a>" in body
    assert 'href="mailto:juergen.mueller@optik-beispiel.de"' in body
