"""What OptiCRM stores about one person, for the access report of DSGVO
Art. 15 ("Datenauskunft"): master data, consents, messages, appointments,
refractions and contact lens fittings with every value (superseded versions
included), orders, the documents kept (kind, date, note, name, size: the
files themselves are downloaded on the customer page, the report being a
PDF or JSON file), and the change history of each (who changed what when).

Each part is a ``Part`` of records; a record maps a field's name to its
value as the person reads it (German labels, dates as 23.11.2026, choices
by their name). The JSON file carries the same parts with the field names
as keys and plain values (ISO dates, decimals as text) next to the labels."""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from appointments.models import Appointment
from customers.models import Customer
from documents.models import CustomerDocument
from messaging.models import Consent, Message
from opticrm.lib.history import record_history
from opticrm.lib.phone import format_phone
from orders.models import Order, OrderLine
from orders.selectors import prescription_text
from prescriptions.models import ContactLensFitting, Refraction

# Bookkeeping that says nothing about the person (search helpers, counters,
# row versions, links between versions).
INTERNAL = {
    "customer",
    "version",
    "sort_name",
    "search_text",
    "insurance_sort",
    "has_consent",
    "phone_takes_sms",
    "eye_test_base",
    "wears_correction",
    "next_appointment_at",
    "last_refraction_date",
    "last_fitting_date",
    "cl_reorder_due",
    "replaces",
    "key",
    "gateway_id",
    "stopped",
    "attempts",
    "updated_by",
    "appointment",
    # A document's storage keys and thumbnail state: where the file lies,
    # not what it is (its kind, date, note, name and size are listed).
    "file",
    "thumbnail",
    "thumbnail_pending",
}


EYES = (("right_", "R"), ("left_", "L"))


@dataclass
class Record:
    title: str
    # (field name, label, plain value, value as shown)
    values: list[tuple[str, str, object, str]] = field(default_factory=list)
    history: list = field(default_factory=list)  # opticrm.lib.history.Change


@dataclass
class Part:
    key: str
    title: str
    records: list[Record]


@dataclass
class Report:
    customer_number: int
    name: str
    created_at: datetime.datetime
    parts: list[Part]


def shown(model_field: models.Field, value) -> str:
    """A value as the person reads it."""
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if model_field.name == "phone":
        return format_phone(value)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=getattr(model_field, "decimal_places", 2))
    if model_field.name == "photo" and isinstance(model_field, models.CharField):
        # The customer photo's storage key: where it lies says nothing; that
        # one is kept does (a copy is downloaded on the customer page).
        return _("stored (a copy on the customer page)")
    if model_field.name == "prescription" and isinstance(value, dict):
        # An order's copy of its refraction, as the optician writes it.
        return prescription_text(value) or "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _plain(model_field: models.Field, value):
    """A value for JSON: ISO dates, decimals as text, names of related rows."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if model_field.name == "photo" and isinstance(model_field, models.CharField):
        return True  # kept, not where (see shown)
    if isinstance(value, bool | int | float | str | dict | list):
        return value
    return str(value)


# Every change of a record, not the newest hundred a page shows.
HISTORY_LIMIT = 100_000


def _record(obj: models.Model, title: str) -> Record:
    record = Record(title=title)
    for model_field in obj._meta.concrete_fields:
        if model_field.name in INTERNAL:
            continue
        if model_field.is_relation:
            value = getattr(obj, model_field.name)
            if value is not None and hasattr(value, "get_full_name"):
                value = value.get_full_name() or value.get_username()
        else:
            value = getattr(obj, model_field.attname)
        label = capfirst(str(model_field.verbose_name))
        if model_field.primary_key:
            label = _("Number")
        # Both eyes carry the same fields (prescriptions.eyes): R and L, as
        # the optician writes them.
        for prefix, eye in EYES:
            if model_field.name.startswith(prefix):
                label = f"{label} {eye}"
        record.values.append(
            (model_field.name, label, _plain(model_field, value), shown(model_field, value))
        )
    if hasattr(obj, "events"):
        # A record that moved between customers (an appointment rebooked for
        # someone else) tells only what happened while it was this person's.
        # (An order's position belongs to its order, which cannot move.)
        owned = not isinstance(obj, Customer) and hasattr(obj, "customer_id")
        belonging = ("customer", obj.customer_id) if owned else None
        record.history = record_history(obj, limit=HISTORY_LIMIT, belonging=belonging)
    return record


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def access_report(customer: Customer) -> Report:
    """Everything stored about ``customer`` (deleted ones too: the report is
    about the person, whatever state their record is in)."""
    refractions = Refraction.objects.filter(customer=customer).select_related(
        "examiner", "created_by", "superseded_by"
    )
    fittings = ContactLensFitting.objects.filter(customer=customer).select_related(
        "examiner", "created_by", "superseded_by"
    )
    appointments = (
        Appointment.objects.filter(customer=customer)
        .select_related("type", "staff", "created_by")
        .order_by("-start")
    )
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("staff")
        .order_by("-created_at", "-id")
    )
    lines = OrderLine.objects.filter(order__customer=customer).order_by("order_id", "position")
    # Deleted ones too, while they are kept (documents.services.documents_purge).
    documents = (
        CustomerDocument.objects.filter(customer=customer)
        .select_related("refraction", "product", "uploaded_by")
        .order_by("-document_date", "-created_at", "-id")
    )
    parts = [
        Part("master_data", _("Master data"), [_record(customer, customer.full_name)]),
        Part(
            "consents",
            _("Consents"),
            [
                _record(c, f"{c.get_channel_display()}, {c.get_purpose_display()}")
                for c in Consent.objects.filter(customer=customer).order_by("-given_at", "-id")
            ],
        ),
        Part(
            "messages",
            _("Messages"),
            [
                _record(m, f"{m.get_kind_display()} ({m.get_channel_display()})")
                for m in Message.objects.filter(customer=customer).order_by("-send_at", "-id")
            ],
        ),
        Part(
            "appointments",
            _("Appointments"),
            [_record(a, f"{a.type.name}, {_moment(a.start)}") for a in appointments],
        ),
        Part("refractions", _("Refractions"), [_record(r, _title(r)) for r in refractions]),
        Part(
            "contact_lens_fittings",
            _("Contact lens fittings"),
            [_record(f, _title(f)) for f in fittings],
        ),
        Part(
            "orders",
            _("Orders"),
            [_record(o, f"{o}, {o.get_status_display()}, {_moment(o.created_at)}") for o in orders],
        ),
        Part(
            "order_positions",
            _("Order positions"),
            [
                _record(line, f"{_('Order %(number)s') % {'number': line.order_id}}, {line}")
                for line in lines
            ],
        ),
        Part(
            "documents",
            _("Documents"),
            [_record(d, f"{d.get_kind_display()}, {d.original_name}") for d in documents],
        ),
    ]
    return Report(
        customer_number=customer.pk,
        name=customer.full_name,
        created_at=timezone.now(),
        parts=parts,
    )


def _title(record) -> str:
    title = str(record)  # its kind and date
    if record.is_superseded:
        title += " " + _("(corrected on %(when)s)") % {"when": _moment(record.superseded_at)}
    return title


def as_json(report: Report) -> dict:
    """The report as JSON: each record's fields by name, with label and value."""

    def change(c) -> dict:
        return {
            "when": timezone.localtime(c.when).isoformat(),
            "who": c.who,
            "created": c.created,
            "deleted": c.deleted,
            "restored": c.restored,
            "fields": [{"label": f[0], "before": f[1], "after": f[2]} for f in c.fields],
        }

    return {
        "customer_number": report.customer_number,
        "name": report.name,
        "created_at": timezone.localtime(report.created_at).isoformat(),
        "parts": {
            part.key: {
                "title": part.title,
                "records": [
                    {
                        "title": record.title,
                        "fields": {
                            name: {"label": label, "value": plain}
                            for name, label, plain, _text in record.values
                        },
                        "history": [change(c) for c in record.history],
                    }
                    for record in part.records
                ],
            }
            for part in report.parts
        },
    }
