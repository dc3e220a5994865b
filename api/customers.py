"""/api/v1/customers: the original customer API's contract. Validation goes
through the customer form and the services, so rules and messages are the
same as in the user interface."""

import datetime
from typing import Literal

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from api.auth import require_write
from api.errors import field_errors
from api.schemas import (
    TOTAL_IS_ESTIMATE,
    AwareDateTime,
    Detail,
    Errors,
    Input,
    LocalDateTime,
    api_page,
    based_on_version,
    describe,
    document,
    empty_page,
    etag,
)
from customers import selectors, services
from customers.filters import customer_table_page
from customers.forms import CustomerForm
from customers.models import ADDRESS_FIELDS, Country, Customer, Salutation
from opticrm.lib import health_data

router = Router(tags=["customers"])

CustomerStatus = Literal["active", "inactive", "prospect"]
CustomerSalutation = Literal[tuple(Salutation.values)]
CustomerCountry = Literal[tuple(Country.values)]
# The address fields (issue 23) came after the original contract: optional in
# requests (these defaults), always in answers; the original fields are unchanged.
ADDRESS_DEFAULTS = {name: Customer._meta.get_field(name).default for name in ADDRESS_FIELDS}
ADDRESS_DESCRIPTIONS = {
    "salutation": describe(
        "Anrede: ms (Frau), mr (Herr) oder leer (divers / keine Angabe)",
        "Salutation: ms, mr or empty (diverse / not specified)",
    ),
    "title": describe("Titel, z. B. Dr.", "Title, e.g. Dr."),
    "street": describe("Straße und Hausnummer", "Street and house number"),
    "postcode": describe(
        "Postleitzahl; in Deutschland genau 5 Ziffern", "Postcode; in Germany exactly 5 digits"
    ),
    "town": describe("Ort", "Town"),
    "country": describe(
        "Land als ISO-3166-Code (DE, AT, CH, …); Standard DE",
        "Country as ISO 3166 code (DE, AT, CH, …); default DE",
    ),
}


def _address_field(name: str, *, output: bool = False, update: bool = False):
    """The Field() of an address field in the output, input or update schema."""
    description = ADDRESS_DESCRIPTIONS[name]
    if output:
        return Field(description=description)
    return Field(None if update else ADDRESS_DEFAULTS[name], description=description)


# API field → the table's sort key (index-backed) or a plain column.
ORDERINGS = {
    "last_name": "name",
    "email": "email",
    "phone": "phone",
    "date_of_birth": "date_of_birth",
    "insurance_provider": "insurance",
    "last_exam_date": "last_exam",
    "status": "status",
    "next_appointment": "next_appointment",
    "id": None,
    "created_at": None,
    "updated_at": None,
}
CONFIRM_DUPLICATES = Field(
    False,
    description=describe(
        "Auch speichern, wenn es schon einen Kunden mit gleichem Namen und Geburtsdatum "
        "oder gleicher E-Mail gibt. Ohne: 409 mit den IDs dieser Kunden in ``duplicates``; "
        "eine Änderung fragt nur, wenn sie Name, Geburtsdatum oder E-Mail ändert",
        "Save even if a customer with the same name and date of birth or the same email "
        "exists. Without it: 409 with those customers' ids in ``duplicates``; a change asks "
        "only when it changes a name, the date of birth or the email",
    ),
)
# Where the API's names differ from the form's.
FORM_NAMES = {"prescription": "notes"}
API_NAMES = {form: api for api, form in FORM_NAMES.items()}


class CustomerOut(Schema):
    id: int
    first_name: str = Field(description=describe("Vorname", "First name"))
    last_name: str = Field(description=describe("Nachname", "Last name"))
    email: str = Field(description=describe("E-Mail-Adresse oder leer", "Email address or empty"))
    phone: str = Field(
        description=describe("Telefon in E.164 (+49…) oder leer", "Phone in E.164 (+49…) or empty")
    )
    date_of_birth: datetime.date | None = Field(
        description=describe("Geburtsdatum", "Date of birth")
    )
    insurance_provider: str | None = Field(
        description=describe("Name der Krankenkasse", "Name of the health insurer")
    )
    last_exam_date: datetime.date | None = Field(
        description=describe("Letzte Augenprüfung", "Last eye examination")
    )
    next_appointment: LocalDateTime | None = Field(
        description=describe(
            "Beginn des nächsten Termins (nur lesen)", "Start of the next appointment (read-only)"
        )
    )
    prescription: str | None = Field(
        description=describe(
            "Notizen (früher Freitext-Sehstärke, daher Gesundheitsdaten): nur für Schlüssel, "
            "die Gesundheitsdaten lesen dürfen, sonst null",
            "Notes (formerly the free-text prescription, so health data): only for keys that "
            "may read health data, else null",
        )
    )
    status: CustomerStatus = Field(description=describe("Status", "Status"))
    created_at: LocalDateTime
    updated_at: LocalDateTime
    salutation: CustomerSalutation = _address_field("salutation", output=True)
    title: str = _address_field("title", output=True)
    street: str = _address_field("street", output=True)
    postcode: str = _address_field("postcode", output=True)
    town: str = _address_field("town", output=True)
    country: CustomerCountry = _address_field("country", output=True)

    @staticmethod
    def resolve_phone(obj: Customer) -> str:
        stored = getattr(obj, "phone_stored", None)  # (read, see selectors)
        if stored is not None:
            return stored
        return str(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_insurance_provider(obj: Customer) -> str | None:
        return obj.insurance_provider.name if obj.insurance_provider_id else None

    @staticmethod
    def resolve_prescription(obj: Customer, context) -> str | None:
        request = (context or {}).get("request")
        return obj.notes if may_see_health_data(request) else None

    @staticmethod
    def resolve_next_appointment(obj: Customer) -> datetime.datetime | None:
        # As the customer list shows it: selectors.next_appointment, read
        # with the row (customers_with_next_appointment); a new customer has none.
        return getattr(obj, "next_appointment", None)


class CustomerIn(Input):
    first_name: str = Field(description=describe("Vorname", "First name"))
    last_name: str = Field(description=describe("Nachname", "Last name"))
    email: str = ""
    phone: str = Field(
        "", description=describe("Telefon, z. B. 030 1234567", "Phone, e.g. +49 30 1234567")
    )
    date_of_birth: datetime.date | None = None
    insurance_provider: str | None = Field(
        None,
        description=describe("Name einer bekannten Krankenkasse", "Name of a known health insurer"),
    )
    last_exam_date: datetime.date | None = None
    prescription: str = Field(
        "",
        description=describe(
            "Notizen (früher Freitext-Sehstärke)", "Notes (formerly the free-text prescription)"
        ),
    )
    status: CustomerStatus = "active"
    salutation: CustomerSalutation = _address_field("salutation")
    title: str = _address_field("title")
    street: str = _address_field("street")
    postcode: str = _address_field("postcode")
    town: str = _address_field("town")
    country: CustomerCountry = _address_field("country")
    confirm_duplicates: bool = CONFIRM_DUPLICATES


class CustomerUpdate(Input):
    """Fields left out keep their value."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: datetime.date | None = None
    insurance_provider: str | None = None
    last_exam_date: datetime.date | None = None
    prescription: str | None = None
    status: CustomerStatus | None = None
    salutation: CustomerSalutation | None = _address_field("salutation", update=True)
    title: str | None = _address_field("title", update=True)
    street: str | None = _address_field("street", update=True)
    postcode: str | None = _address_field("postcode", update=True)
    town: str | None = _address_field("town", update=True)
    country: CustomerCountry | None = _address_field("country", update=True)
    updated_at: AwareDateTime | None = Field(
        None,
        description=describe(
            "Stand, von dem die Änderung ausgeht; älter als gespeichert → 409 "
            "(der kompatible Weg; besser: If-Match mit dem ETag von GET)",
            "The version the change is based on; older than stored → 409 "
            "(the compatible path; better: If-Match with the ETag of GET)",
        ),
    )
    confirm_duplicates: bool = CONFIRM_DUPLICATES


for _schema in (CustomerOut, CustomerIn, CustomerUpdate):
    document(_schema, Customer)


class CustomerConflictOut(Detail):
    duplicates: list[int] | None = Field(
        None,
        description=describe(
            "Bei möglichem Doppeleintrag: IDs der Kunden, die dieselbe Person sein können",
            "For a possible duplicate: ids of the customers who may be the same person",
        ),
    )


class CustomerPage(Schema):
    items: list[CustomerOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


class CustomerQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)
    status: CustomerStatus | None = None
    insurance_provider: str | None = None
    search: str | None = Field(None, max_length=200)
    ordering: str | None = Field(
        None, description=describe("Feldname, '-' für absteigend", "Field name, '-' for descending")
    )


def may_see_health_data(request) -> bool:
    return health_data.api_key_may_read(getattr(request, "auth", None))


def _refuse_health_data(request, payload) -> Status | None:
    if "prescription" in payload.model_fields_set and not may_see_health_data(request):
        detail = _("This API key may not read or change the field “prescription” (health data).")
        return Status(403, {"detail": detail})
    return None


def _read(customer_id: int) -> Customer:
    return get_object_or_404(selectors.customers_with_next_appointment(), pk=customer_id)


def _form_data(values: dict) -> dict:
    """API values as the customer form reads them."""
    data = {}
    for name, value in values.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        data[FORM_NAMES.get(name, name)] = "" if value is None else value
    return data


def _provider_errors(data: dict) -> list[dict]:
    """The insurer by name, as the original API had it; its id for the form."""
    name = (data.get("insurance_provider") or "").strip()
    if not name:
        data["insurance_provider"] = ""
        return []
    provider = selectors.insurer_named(name)
    if provider is None:
        message = _("Unknown insurance provider “%(name)s”.") % {"name": name}
        return [{"field": "insurance_provider", "message": message}]
    data["insurance_provider"] = str(provider)
    return []


def _validated(data: dict, customer: Customer | None = None) -> CustomerForm | list[dict]:
    errors = _provider_errors(data)
    if customer is not None:
        data["version"] = str(customer.version)
    form = CustomerForm(data=data, instance=customer)
    if not form.is_valid() or errors:
        messages = {API_NAMES.get(k, k): v for k, v in form.errors.items()}
        return errors + field_errors(messages)
    return form


def _duplicates(possible: services.PossibleDuplicates) -> Status:
    ids = [duplicate.pk for duplicate in possible.duplicates]
    detail = _(
        "Possible duplicate: a customer with the same name and date of birth or the same "
        "email already exists (id %(ids)s). To save anyway, send “confirm_duplicates”: true."
    ) % {"ids": ", ".join(map(str, ids))}
    return Status(409, {"detail": detail, "duplicates": ids})


@router.get("", response={200: CustomerPage, 422: Errors}, summary="List customers")
def list_customers(request: HttpRequest, filters: Query[CustomerQuery]):
    ordering = filters.ordering or "last_name"
    field = ordering.removeprefix("-")
    if field not in ORDERINGS:
        allowed = ", ".join(ORDERINGS)
        message = _("Sorting is possible by: %(fields)s.") % {"fields": allowed}
        return Status(422, {"detail": [{"field": "ordering", "message": message}]})
    data = {"q": filters.search or "", "status": filters.status or ""}
    if filters.insurance_provider:
        # The API names insurers, the table filters (and counts) by id.
        provider = selectors.insurer_named(filters.insurance_provider)
        if provider is None:
            return empty_page(filters)
        data["insurance"] = str(provider)
    column = None
    if ORDERINGS[field]:
        data["sort"] = ordering.replace(field, ORDERINGS[field])
    else:
        # Ties by id in the same direction: the (column, id) index read
        # backwards (with the id ascending, PostgreSQL sorted every row that
        # shares the newest time: a million after a bulk load, 130 ms).
        column = (
            [F(field).desc(), F("id").desc()]
            if ordering.startswith("-")
            else [F(field).asc(), F("id").asc()]
        )
    customer_filter, page = customer_table_page(
        data,
        page=filters.page,
        page_size=filters.page_size,
        rows=selectors.customers_with_next_appointment(),
        ordering=column,
    )
    return api_page(page, filters)


@router.post(
    "",
    response={201: CustomerOut, 403: Detail, 409: CustomerConflictOut, 422: Errors},
    summary="Create a customer",
)
def create_customer(request: HttpRequest, payload: CustomerIn):
    require_write(request)
    if refused := _refuse_health_data(request, payload):
        return refused
    form = _validated(_form_data(payload.dict(exclude={"confirm_duplicates"})))
    if isinstance(form, list):
        return Status(422, {"detail": form})
    try:
        saved = services.customer_create(
            data=form.service_data(), confirm_duplicates=payload.confirm_duplicates
        )
    except services.PossibleDuplicates as possible:
        return _duplicates(possible)
    # The saved customer as the service returns it is what a read would
    # find (a new customer has no appointments yet), without reading it.
    return Status(201, saved)


@router.get("/{int:customer_id}", response={200: CustomerOut, 404: Detail}, summary="One customer")
def get_customer(request: HttpRequest, customer_id: int, response: HttpResponse):
    customer = _read(customer_id)
    response["ETag"] = etag(customer.version)
    return customer


@router.put(
    "/{int:customer_id}",
    response={200: CustomerOut, 403: Detail, 404: Detail, 409: CustomerConflictOut, 422: Errors},
    summary="Change a customer",
)
def update_customer(
    request: HttpRequest, customer_id: int, payload: CustomerUpdate, response: HttpResponse
):
    require_write(request)
    if refused := _refuse_health_data(request, payload):
        return refused
    customer = _read(customer_id)
    conflict = {"detail": _("The customer was changed by someone else in the meantime.")}
    # The customers' version rule, before the input is checked: an outdated
    # change is 409 whatever it contains.
    based_on = based_on_version(request, customer, payload.updated_at)
    try:
        services.customer_check_version(customer, based_on)
    except services.CustomerConflict:
        return Status(409, conflict)
    current = CustomerOut.from_orm(customer).dict()
    current["prescription"] = customer.notes  # kept as it is unless changed
    # The answer leaves out an address field at its default; the form needs each.
    current.update({name: getattr(customer, name) for name in ADDRESS_FIELDS})
    changes = payload.dict(exclude_unset=True, exclude={"updated_at", "confirm_duplicates"})
    form = _validated(_form_data({**current, **changes}), customer)
    if isinstance(form, list):
        return Status(422, {"detail": form})
    try:
        # The data merge the state read above: saved only onto that version.
        saved = services.customer_update(
            customer_id=customer.pk,
            data=form.service_data(),
            expected_version=customer.version,
            confirm_duplicates=payload.confirm_duplicates,
        )
    except services.CustomerConflict:
        return Status(409, conflict)
    except services.PossibleDuplicates as possible:
        return _duplicates(possible)
    # Saving a customer moves no appointment: the next one is the one read
    # above (selectors.next_appointment), and the saved customer is what a
    # read would find now.
    saved.next_appointment = customer.next_appointment
    response["ETag"] = etag(saved.version)
    return saved


@router.delete(
    "/{int:customer_id}", response={204: None, 404: Detail}, summary="Delete a customer (soft)"
)
def delete_customer(request: HttpRequest, customer_id: int):
    require_write(request)
    customer = _read(customer_id)
    services.customer_soft_delete(customer_id=customer.pk)
    return Status(204, None)
