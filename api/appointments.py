"""/api/v1/appointments: the booking rules of the calendar (opening hours,
no double booking) through the same services; a double booking answers 409
with the id of the appointment in the way."""

import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from api.auth import require_write
from api.errors import field_errors
from api.schemas import (
    TOTAL_IS_ESTIMATE,
    AwareDateTime,
    Detail,
    Errors,
    Id,
    Input,
    LocalDateTime,
    api_page,
    based_on_version,
    describe,
    document,
    etag,
    not_null,
)
from appointments import selectors, services
from appointments.filters import appointment_table_page
from appointments.models import Appointment, AppointmentType
from customers.models import Customer

router = Router(tags=["appointments"])

AppointmentStatus = Literal["planned", "confirmed", "done", "cancelled", "no_show"]


class AppointmentOut(Schema):
    id: int
    customer: int = Field(description=describe("Kunden-ID", "Customer id"))
    customer_name: str = Field(description=describe("Name des Kunden", "Customer's name"))
    staff: int = Field(description=describe("Mitarbeiter-ID", "Staff member id"))
    staff_name: str = Field(description=describe("Name im Kalender", "Name in the calendar"))
    type: int = Field(description=describe("Terminart-ID", "Appointment type id"))
    type_name: str = Field(description=describe("Terminart, z. B. Sehtest", "Type, e.g. eye test"))
    start: LocalDateTime
    end: LocalDateTime
    status: AppointmentStatus
    notes: str
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_customer(obj: Appointment) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_customer_name(obj: Appointment) -> str:
        return obj.customer.shown_name

    @staticmethod
    def resolve_staff(obj: Appointment) -> int:
        return obj.staff_id

    @staticmethod
    def resolve_staff_name(obj: Appointment) -> str:
        return obj.staff.get_full_name() or obj.staff.get_username()

    @staticmethod
    def resolve_type(obj: Appointment) -> int:
        return obj.type_id

    @staticmethod
    def resolve_type_name(obj: Appointment) -> str:
        return obj.type.name


class AppointmentIn(Input):
    customer: Id
    staff: Id
    type: Id
    start: AwareDateTime = Field(description=describe("Mit Zeitzone", "With time zone offset"))
    end: AwareDateTime | None = Field(
        None, description=describe("Leer: Dauer der Terminart", "Empty: the type's duration")
    )
    status: AppointmentStatus = "planned"
    notes: str = ""
    allow_outside_hours: bool = Field(
        False, description=describe("Außerhalb der Öffnungszeiten", "Outside opening hours")
    )


class AppointmentUpdate(Input):
    customer: Id | None = None
    staff: Id | None = None
    type: Id | None = None
    start: AwareDateTime | None = None
    end: AwareDateTime | None = None
    status: AppointmentStatus | None = None
    notes: str | None = None
    allow_outside_hours: bool = False
    updated_at: AwareDateTime | None = Field(
        None,
        description=describe(
            "Stand, von dem die Änderung ausgeht; älter als gespeichert → 409 "
            "(der kompatible Weg; besser: If-Match mit dem ETag von GET)",
            "The version the change is based on; older than stored → 409 "
            "(the compatible path; better: If-Match with the ETag of GET)",
        ),
    )

    _filled = field_validator("customer", "staff", "type", "start", "end", "status")(not_null)


for _schema in (AppointmentOut, AppointmentIn, AppointmentUpdate):
    document(_schema, Appointment)


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


class AppointmentQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)
    date_from: datetime.date | None = Field(None, description=describe("Ab Tag", "From day"))
    date_to: datetime.date | None = Field(None, description=describe("Bis Tag", "To day"))
    staff: int | None = None
    customer: int | None = None
    status: AppointmentStatus | None = None


class AppointmentConflictOut(Detail):
    conflicting_appointment: int | None = None


def _read(appointment_id: int) -> Appointment:
    return get_object_or_404(selectors.appointment_list(), pk=appointment_id)


def _references(values: dict) -> list[dict]:
    """Customer, staff and type by id; unknown ids are field errors."""
    errors = []
    lookups = {
        "customer": (Customer.objects.alive(), _("Unknown customer.")),
        "staff": (selectors.bookable_staff(), _("Unknown staff member.")),
        "type": (AppointmentType.objects.all(), _("Unknown appointment type.")),
    }
    for name, (queryset, message) in lookups.items():
        if name in values and values[name] is not None:
            found = queryset.filter(pk=values[name]).first()
            if found is None:
                errors.append({"field": name, "message": message})
            values[name] = found
    return errors


def _refused(error: ValidationError):
    conflict_id = getattr(error, "conflict_id", None)
    if conflict_id is not None:
        return Status(409, {"detail": error.messages[0], "conflicting_appointment": conflict_id})
    return Status(422, {"detail": field_errors(error.message_dict)})


@router.get("", response={200: AppointmentPage, 422: Errors}, summary="List appointments")
def list_appointments(request: HttpRequest, filters: Query[AppointmentQuery]):
    # Staff, customer and status by id, exactly: an id the table's choices
    # do not offer (a former staff member) still finds that one's appointments.
    narrowed = {
        f"{name}_id" if name != "status" else name: getattr(filters, name)
        for name in ("staff", "customer", "status")
        if getattr(filters, name) is not None
    }
    appointments = selectors.appointment_list().filter(**narrowed) if narrowed else None
    data = {
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
    }
    _filter, page = appointment_table_page(
        data, page=filters.page, page_size=filters.page_size, queryset=appointments
    )
    return api_page(page, filters)


@router.post(
    "",
    response={201: AppointmentOut, 409: AppointmentConflictOut, 422: Errors},
    summary="Book an appointment",
)
def create_appointment(request: HttpRequest, payload: AppointmentIn):
    require_write(request)
    values = payload.dict()
    allow_outside_hours = values.pop("allow_outside_hours")
    errors = _references(values)
    if errors:
        return Status(422, {"detail": errors})
    try:
        appointment = services.appointment_book(
            data=values, allow_outside_hours=allow_outside_hours
        )
    except ValidationError as error:
        return _refused(error)
    return Status(201, _read(appointment.pk))


@router.get(
    "/{int:appointment_id}", response={200: AppointmentOut, 404: Detail}, summary="One appointment"
)
def get_appointment(request: HttpRequest, appointment_id: int, response: HttpResponse):
    appointment = _read(appointment_id)
    response["ETag"] = etag(appointment.version)
    return appointment


@router.put(
    "/{int:appointment_id}",
    response={200: AppointmentOut, 404: Detail, 409: AppointmentConflictOut, 422: Errors},
    summary="Change, move or cancel an appointment",
)
def update_appointment(
    request: HttpRequest, appointment_id: int, payload: AppointmentUpdate, response: HttpResponse
):
    require_write(request)
    appointment = _read(appointment_id)
    conflict = {"detail": _("The appointment was changed by someone else in the meantime.")}
    # The appointments' version rule, before the input is checked: an
    # outdated change is 409 whatever it contains.
    based_on = based_on_version(request, appointment, payload.updated_at)
    try:
        services.appointment_check_version(appointment, based_on)
    except services.AppointmentConflict:
        return Status(409, conflict)
    values = payload.dict(exclude_unset=True, exclude={"updated_at", "allow_outside_hours"})
    if "start" in values and "end" not in values:
        # Moved without a new end: keep the length.
        values["end"] = values["start"] + (appointment.end - appointment.start)
    errors = _references(values)
    if errors:
        return Status(422, {"detail": errors})
    try:
        # The kept length above is the read state's: saved only onto that version.
        saved = services.appointment_update(
            appointment_id=appointment.pk,
            data=values,
            expected_version=appointment.version,
            allow_outside_hours=payload.allow_outside_hours,
        )
    except services.AppointmentConflict:
        return Status(409, conflict)
    except ValidationError as error:
        return _refused(error)
    saved = _read(saved.pk)
    response["ETag"] = etag(saved.version)
    return saved
