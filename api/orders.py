"""/api/v1/orders: orders (Aufträge) with their positions and money, and
the way through the statuses, all through orders.services (so the status
flow, the frame taken from stock and the version check are the screens'
rules). Every change names the version it was made from (``version``, or
If-Match with the ETag of GET); an outdated one answers 409 with the
current version. The order's copy of the refraction, its centration and
the reason for unusual centration values are health data, as on the order
page: only keys that may read health data see or change them."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model, field_validator

from api import orders_selectors
from api.auth import require_write
from api.errors import field_errors
from api.schemas import (
    TOTAL_IS_ESTIMATE,
    Detail,
    Errors,
    Id,
    Input,
    LocalDateTime,
    api_page,
    describe,
    document,
    etag,
    if_match,
    not_null,
)
from customers.models import Customer
from opticrm.lib import health_data
from opticrm.lib.pagination import TablePaginator, page_rows
from orders import rules, selectors, services
from orders.models import (
    CENTRATION,
    MEASURED_FIELDS,
    SIDES,
    Kind,
    LineKind,
    Order,
    OrderLine,
)
from orders.models import Status as OrderState
from products.models import Product

router = Router(tags=["orders"])

OrderStatus = Literal[tuple(OrderState.values)]
OrderKind = Literal[tuple(Kind.values)]
PositionKind = Literal[tuple(LineKind.values)]
Eye = Literal["", "right", "left"]
# The model's names where the API's differ (the status change's reason).
API_NAMES = {"status_reason": "reason"}
# Health data besides the refraction's copy, as the order page has it (only
# for those who may see prescriptions): the centration and the reason for
# its unusual values.
# What the descriptions of those fields add (German, English).
HEALTH_NOTE = (
    "Gesundheitsdaten: nur für Schlüssel, die Gesundheitsdaten lesen dürfen, sonst null",
    "Health data: only for keys that may read health data, else null",
)
HEALTH_CHANGE_NOTE = (
    "Gesundheitsdaten: nur mit einem Schlüssel, der Gesundheitsdaten lesen darf (sonst 403)",
    "Health data: only with a key that may read health data (else 403)",
)


def health_described(de: str, en: str, note: tuple[str, str]) -> str:
    return describe(f"{de}. {note[0]}", f"{en}. {note[1]}")


VERSION = Field(
    None,
    description=describe(
        "Version des Auftrags, von der die Änderung ausgeht (aus GET: ``version`` oder ETag); "
        "stattdessen geht auch der Header If-Match. Veraltet → 409 mit der aktuellen Version",
        "The order's version the change is based on (from GET: ``version`` or the ETag); "
        "the If-Match header works instead. Outdated → 409 with the current version",
    ),
)
MONEY = describe("Euro brutto, Text mit 2 Nachkommastellen", "Euros gross, text with 2 decimals")


def _bilingual(text) -> tuple[str, str]:
    with translation.override("de"):
        german = str(text)
    with translation.override("en"):
        english = str(text)
    return german, english


def _centration(*, output: bool) -> dict[str, Any]:
    """The order's centration fields (right_pd … left_wrap_angle), each
    described with its eye and range, as pydantic field definitions."""
    eyes = dict(OrderLine._meta.get_field("eye").choices)  # "rechts", "links"
    fields = {}
    for side in SIDES:
        side_de, side_en = _bilingual(eyes[side])
        for name, (label, low, high) in CENTRATION.items():
            label_de, label_en = _bilingual(label)
            description = health_described(
                f"{label_de}, {side_de} ({low}–{high})",
                f"{label_en}, {side_en} ({low}–{high})",
                HEALTH_NOTE if output else HEALTH_CHANGE_NOTE,
            )
            default = ... if output else None
            fields[f"{side}_{name}"] = (Decimal | None, Field(default, description=description))
    return fields


def _health_data(name: str) -> staticmethod:
    """The resolver of a health data field: its value for keys that may
    read health data, else None."""

    def resolve(obj: Order, context) -> Any:
        request = (context or {}).get("request")
        return getattr(obj, name) if may_see_health_data(request) else None

    return staticmethod(resolve)


class PositionOut(Schema):
    id: int
    position: int
    kind: PositionKind
    eye: Eye
    product: int | None = Field(description=describe("Artikel-ID", "Product id"))
    description: str
    quantity: int
    unit_price: Decimal = Field(description=MONEY)
    discount_percent: Decimal | None
    discount_amount: Decimal | None = Field(description=MONEY)
    discount_reason: str
    vat_rate: int
    diameter: int | None
    supply_days: int | None
    discount: Decimal = Field(
        description=describe(
            "Rabatt in Euro (nur lesen; nie mehr als die Position)",
            "Discount in euros (read-only; never more than the position)",
        )
    )
    total: Decimal = Field(
        description=describe(
            "Menge × Einzelpreis − Rabatt, brutto (nur lesen)",
            "Quantity × unit price − discount, gross (read-only)",
        )
    )

    @staticmethod
    def resolve_product(obj: OrderLine) -> int | None:
        return obj.product_id

    @staticmethod
    def resolve_discount(obj: OrderLine) -> Decimal:
        return rules.cents(_line_gross(obj)[0])

    @staticmethod
    def resolve_total(obj: OrderLine) -> Decimal:
        return rules.cents(_line_gross(obj)[1])


def _line_gross(line: OrderLine) -> tuple[Decimal, Decimal]:
    return rules.line_gross(
        line.quantity, line.unit_price, line.discount_percent, line.discount_amount
    )


class RateTotalOut(Schema):
    rate: int = Field(description=describe("MwSt.-Satz in %", "VAT rate in %"))
    gross: Decimal = Field(description=MONEY)
    net: Decimal = Field(description=describe("Netto in Euro", "Net in euros"))
    vat: Decimal = Field(
        description=describe(
            "Enthaltene MwSt. in Euro, einmal je Satz gerundet",
            "VAT included in euros, rounded once per rate",
        )
    )


class TotalsOut(Schema):
    rates: list[RateTotalOut] = Field(
        description=describe("Je MwSt.-Satz, höchster zuerst", "Per VAT rate, highest first")
    )
    gross: Decimal = Field(description=describe("Summe brutto", "Total gross"))
    discount: Decimal = Field(description=describe("Rabatte zusammen", "Discounts together"))
    deposit: Decimal = Field(description=describe("Anzahlung", "Deposit received"))
    insurer: Decimal = Field(
        description=describe(
            "Anteil der gesetzlichen Krankenkasse (sobald die Verordnung vorliegt)",
            "The statutory insurer's share (once the prescription is there)",
        )
    )
    open: Decimal = Field(
        description=describe(
            "Offen: brutto − Kassenanteil − Anzahlung",
            "Open amount: gross − insurer's share − deposit",
        )
    )

    @staticmethod
    def resolve_rates(obj: rules.Totals) -> list[dict]:
        return [
            {"rate": rate.rate, "gross": rate.gross, "net": rate.net, "vat": rate.vat}
            for rate in obj.rates.values()
        ]


class OrderOut(Schema):
    id: int
    customer: int = Field(description=describe("Kunden-ID", "Customer id"))
    customer_name: str = Field(description=describe("Name des Kunden", "Customer's name"))
    kind: OrderKind
    status: OrderStatus
    status_changed_at: LocalDateTime | None
    status_reason: str = Field(
        description=describe(
            "Grund der letzten Stornierung oder Reklamation",
            "Reason of the last cancellation or complaint",
        )
    )
    staff: int | None = Field(description=describe("Mitarbeiter-ID", "Staff member id"))
    staff_name: str | None = Field(description=describe("Name des Mitarbeiters", "Staff name"))
    promised_date: datetime.date | None
    overdue: bool = Field(
        description=describe(
            "Überfällig: „Fertig bis“ vorbei und noch nicht abholbereit",
            "Overdue: “ready by” has passed and the order is not ready yet",
        )
    )
    gross: Decimal = Field(description=describe("Summe brutto", "Total gross"))
    open: Decimal = Field(
        description=describe(
            "Offen: brutto − Kassenanteil − Anzahlung",
            "Open amount: gross − insurer's share − deposit",
        )
    )
    version: int = Field(
        description=describe(
            "Version; jede Änderung zählt sie hoch (auch an Positionen)",
            "Version; every change counts it up (positions too)",
        )
    )
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_customer(obj: Order) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_customer_name(obj: Order) -> str:
        return obj.customer.shown_name

    @staticmethod
    def resolve_staff(obj: Order) -> int | None:
        return obj.staff_id

    @staticmethod
    def resolve_staff_name(obj: Order) -> str | None:
        if obj.staff is None:
            return None
        return obj.staff.get_full_name() or obj.staff.get_username()

    @staticmethod
    def resolve_overdue(obj: Order) -> bool:
        return selectors.is_overdue(obj)

    @staticmethod
    def resolve_gross(obj: Order) -> Decimal:
        return obj.totals.gross

    @staticmethod
    def resolve_open(obj: Order) -> Decimal:
        return obj.money.open


class _OrderDetail(OrderOut):
    refraction: int | None = Field(
        description=describe(
            "ID der Refraktion, für die die Brille gemacht wird",
            "Id of the refraction the glasses are made for",
        )
    )
    prescription: dict[str, Any] | None = Field(
        description=describe(
            "Die Werte der Refraktion, wie sie in den Auftrag übernommen wurden "
            "(Gesundheitsdaten): nur für Schlüssel, die Gesundheitsdaten lesen dürfen, sonst null; "
            "null auch ohne Refraktion",
            "The refraction's values as copied into the order (health data): only for keys "
            "that may read health data, else null; null also without a refraction",
        )
    )
    frame: int | None = Field(
        description=describe("Artikel-ID der Fassung vom Lager", "Product id of the stock frame")
    )
    own_frame: str
    deposit: Decimal = Field(description=describe("Anzahlung", "Deposit received"))
    notes: str
    plausibility_reason: str | None = Field(
        description=health_described(
            "Begründung ungewöhnlicher Zentrierwerte",
            "Reason for unusual centration values",
            HEALTH_NOTE,
        )
    )
    item: str
    work: str
    lab_pays_remake: bool
    lines: list[PositionOut] = Field(description=describe("Positionen", "Positions"))
    totals: TotalsOut

    @staticmethod
    def resolve_refraction(obj: Order) -> int | None:
        return obj.refraction_id

    @staticmethod
    def resolve_frame(obj: Order) -> int | None:
        return obj.frame_id

    @staticmethod
    def resolve_prescription(obj: Order, context) -> dict | None:
        request = (context or {}).get("request")
        if not may_see_health_data(request):
            return None
        return obj.prescription or None

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return obj.positions

    @staticmethod
    def resolve_totals(obj: Order) -> SimpleNamespace:
        money = obj.money
        return SimpleNamespace(
            rates=money.totals.rates,
            gross=money.gross,
            discount=money.totals.discount,
            deposit=money.deposit,
            insurer=money.insurer,
            open=money.open,
        )


# The centration fields, with the resolvers that show them only to keys
# that may read health data (the metaclass collects ``resolve_*``).
OrderDetail = type(_OrderDetail)(
    "OrderDetail",
    (_OrderDetail,),
    {
        "__module__": __name__,
        "__annotations__": {name: kind for name, (kind, _f) in _centration(output=True).items()},
        **{name: info for name, (_k, info) in _centration(output=True).items()},
        **{f"resolve_{name}": _health_data(name) for name in MEASURED_FIELDS},
    },
)


class OrderIn(Input):
    customer: Id = Field(description=describe("Kunden-ID", "Customer id"))
    kind: OrderKind = "glasses"
    refraction: Id | None = Field(
        None,
        description=health_described(
            "Brillen: ID einer aktuellen Refraktion des Kunden; leer: die neueste subjektive",
            "Glasses: id of a current refraction of the customer; empty: the newest subjective",
            HEALTH_CHANGE_NOTE,
        ),
    )


class _OrderUpdate(Input):
    """Fields left out keep their value."""

    version: int | None = VERSION
    staff: Id | None = Field(
        None, description=describe("Mitarbeiter-ID; null: keiner", "Staff member id; null: none")
    )
    promised_date: datetime.date | None = None
    frame: Id | None = Field(
        None,
        description=describe(
            "Artikel-ID einer Fassung vom Lager; null: keine. Bei einem erteilten Auftrag "
            "wird die alte zurückgebucht und die neue vom Lager genommen",
            "Product id of a stock frame; null: none. On a placed order the old one is put "
            "back and the new one taken from stock",
        ),
    )
    own_frame: str | None = Field(
        None, description=describe("Eigene Fassung des Kunden", "Customer's own frame")
    )
    deposit: Decimal | None = Field(None, description=describe("Anzahlung", "Deposit received"))
    notes: str | None = None
    plausibility_reason: str | None = Field(
        None,
        description=health_described(
            "Begründung ungewöhnlicher Zentrierwerte (sonst wird die Brille nicht bestellt)",
            "Reason for unusual centration values (else the glasses are not placed)",
            HEALTH_CHANGE_NOTE,
        ),
    )
    item: str | None = None
    work: str | None = None

    _filled = field_validator(
        "own_frame", "deposit", "notes", "plausibility_reason", "item", "work"
    )(not_null)


OrderUpdate = create_model("OrderUpdate", __base__=_OrderUpdate, **_centration(output=False))


class StatusIn(Input):
    status: OrderStatus = Field(
        description=describe(
            "Neuer Status; erlaubt sind nur die Schritte des Ablaufs (Angebot → Auftrag → …)",
            "New status; only the steps of the flow are allowed (quote → ordered → …)",
        )
    )
    version: int | None = VERSION
    reason: str = Field(
        "",
        description=describe(
            "Grund; nötig für Stornierung und Reklamation",
            "Reason; required for a cancellation and a complaint",
        ),
    )
    lab_pays_remake: bool = Field(
        False,
        description=describe(
            "Reklamation: das Labor trägt die Neuanfertigung",
            "Complaint: the lab pays the remake",
        ),
    )


class PositionIn(Input):
    version: int | None = VERSION
    product: Id | None = Field(
        None,
        description=describe(
            "Artikel-ID; Art, Bezeichnung, Preis und MwSt. kommen von ihm, wenn nicht angegeben",
            "Product id; kind, description, price and VAT come from it unless given",
        ),
    )
    kind: PositionKind | None = Field(None, description=describe("Art", "Kind"))
    eye: Eye = ""
    description: str | None = None
    quantity: int = 1
    unit_price: Decimal | None = Field(None, description=MONEY)
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = Field(None, description=MONEY)
    discount_reason: str = ""
    vat_rate: int | None = None
    diameter: int | None = None
    supply_days: int | None = None


class PositionUpdate(Input):
    """Fields left out keep their value."""

    version: int | None = VERSION
    product: Id | None = None
    kind: PositionKind | None = None
    eye: Eye | None = None
    description: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = Field(None, description=MONEY)
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = Field(None, description=MONEY)
    discount_reason: str | None = None
    vat_rate: int | None = None
    diameter: int | None = None
    supply_days: int | None = None

    _filled = field_validator(
        "kind", "eye", "description", "quantity", "unit_price", "discount_reason", "vat_rate"
    )(not_null)


for _schema in (OrderOut, OrderDetail, OrderIn, OrderUpdate):
    document(_schema, Order)
for _schema in (PositionOut, PositionIn, PositionUpdate):
    document(_schema, OrderLine)


class OrderPage(Schema):
    items: list[OrderOut]
    total: int
    total_is_estimate: bool = TOTAL_IS_ESTIMATE
    page: int
    page_size: int


class OrderQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)
    status: list[OrderStatus] | None = Field(
        None, description=describe("Status, mehrfach möglich", "Status, may be repeated")
    )
    kind: OrderKind | None = None
    customer: int | None = Field(None, description=describe("Kunden-ID", "Customer id"))
    staff: int | None = Field(None, description=describe("Mitarbeiter-ID", "Staff member id"))
    promised_before: datetime.date | None = Field(
        None,
        description=describe("Fertig bis vor diesem Tag", "Ready by a day before this one"),
    )
    promised_after: datetime.date | None = Field(
        None,
        description=describe("Fertig bis nach diesem Tag", "Ready by a day after this one"),
    )
    overdue: bool | None = Field(
        None,
        description=describe(
            "true: „Fertig bis“ vor heute und noch nicht abholbereit (offen); false: alle anderen",
            "true: “ready by” before today and not ready yet (open); false: all others",
        ),
    )


class VersionQuery(Input):
    version: int | None = VERSION


class OrderConflictOut(Detail):
    version: int = Field(
        description=describe("Aktuelle Version des Auftrags", "The order's current version")
    )


def may_see_health_data(request) -> bool:
    return health_data.api_key_may_read(getattr(request, "auth", None))


def _refuse_health_data(request, fields) -> Status | None:
    """403 for a change of health data by a key that may not read it."""
    named = [name for name in fields if name in (*MEASURED_FIELDS, "refraction")]
    if named and not may_see_health_data(request):
        detail = _("This API key may not read or change the field “%(field)s” (health data).")
        return Status(403, {"detail": detail % {"field": named[0]}})
    return None


def _read(order_id: int) -> Order:
    order = orders_selectors.order_detail(order_id)
    if order is None:
        raise Http404
    return order


def _answer(order_id: int, response: HttpResponse) -> Order:
    order = _read(order_id)
    response["ETag"] = etag(order.version)
    return order


def _named_version(request: HttpRequest, version: int | None) -> int | None:
    """The version a change names: If-Match or the ``version`` field (both:
    they must agree, else it matches no version)."""
    header = if_match(request)
    if header is None:
        return version
    return header if version is None or version == header else -1


def _version_missing() -> Status:
    message = _("Please send the version of the order the change is based on.")
    return Status(422, {"detail": [{"field": "version", "message": message}]})


def _conflict(error: services.OrderConflict) -> Status:
    detail = _("The order was changed by someone else in the meantime.")
    return Status(409, {"detail": detail, "version": error.current.version})


def _refused(error: ValidationError) -> Status:
    if hasattr(error, "error_dict"):
        errors = {
            API_NAMES.get(name, name): messages for name, messages in error.message_dict.items()
        }
        return Status(422, {"detail": field_errors(errors)})
    return Status(422, {"detail": [{"field": None, "message": m} for m in error.messages]})


def _change(
    request: HttpRequest,
    order_id: int,
    named_version: int | None,
    write: Callable[[int], object],
    response: HttpResponse,
    *,
    created: bool = False,
):
    """What every change of an order shares: the version it names (none:
    422), the service's write with that version, its conflict (409) and
    refusals (422), and the whole order as the answer with its new ETag."""
    version = _named_version(request, named_version)
    if version is None:
        return _version_missing()
    try:
        write(version)
    except services.OrderConflict as error:
        return _conflict(error)
    except ValidationError as error:
        return _refused(error)
    except OrderLine.DoesNotExist:
        raise Http404 from None  # removed meanwhile
    order = _answer(order_id, response)
    return Status(201, order) if created else order


def _found(model, pk: int | None, field: str, message: str, values: dict, errors: list) -> None:
    """Replace the id in ``values[field]`` by its record; unknown: a field error."""
    if pk is None:
        values[field] = None
        return
    values[field] = model.filter(pk=pk).first()
    if values[field] is None:
        errors.append({"field": field, "message": message})


@router.get(
    "",
    response={200: OrderPage, 422: Errors},
    summary="List orders",
    description=(
        "Newest first. Filters: ``status`` (repeatable), ``kind``, ``customer``, ``staff``, "
        "``promised_before`` / ``promised_after`` (the day promised, exclusive), "
        "``overdue``. Totals per order: gross and open amount."
    ),
)
def list_orders(request: HttpRequest, filters: Query[OrderQuery]):
    today = timezone.localdate()
    orders = orders_selectors.order_filtered(
        statuses=filters.status,
        kind=filters.kind,
        customer_id=filters.customer,
        staff_id=filters.staff,
        promised_before=filters.promised_before,
        promised_after=filters.promised_after,
        overdue_on=today if filters.overdue else None,
        not_overdue_on=today if filters.overdue is False else None,
    )
    filtered = bool(filters.status) or any(
        value is not None
        for value in (
            filters.kind,
            filters.customer,
            filters.staff,
            filters.promised_before,
            filters.promised_after,
            filters.overdue,
        )
    )
    # The page's ids along the order's sort, counted exactly when filtered
    # (else estimated at a chain's size); then only the page's rows, with
    # customer, staff and the positions of all of them in one query more.
    paginator = TablePaginator(
        orders.values_list("pk", flat=True), filters.page_size, filtered=filtered
    )
    page = paginator.get_page(filters.page)
    rows = selectors.fixed_amount_rows()
    page.object_list = [
        orders_selectors.order_with_totals(order, rows)
        for order in page_rows(page, orders_selectors.order_rows())
    ]
    return api_page(page, filters)


@router.post(
    "",
    response={201: OrderDetail, 403: Detail, 422: Errors},
    summary="Create an order",
    description=(
        "A new order of a customer, as a quote (status ``quote``). Glasses are made for the "
        "refraction named, or else the customer's newest subjective refraction, whose values "
        "are copied into the order."
    ),
)
def create_order(request: HttpRequest, payload: OrderIn, response: HttpResponse):
    require_write(request)
    if refused := _refuse_health_data(request, payload.model_fields_set):
        return refused
    if not Customer.objects.filter(pk=payload.customer).exists():
        return Status(422, {"detail": [{"field": "customer", "message": _("Unknown customer.")}]})
    try:
        order = services.order_create(
            customer_id=payload.customer, kind=payload.kind, refraction_id=payload.refraction
        )
    except ValidationError as error:
        return _refused(error)
    return Status(201, _answer(order.pk, response))


@router.get(
    "/{int:order_id}",
    response={200: OrderDetail, 404: Detail},
    summary="One order",
    description=(
        "With positions and totals per VAT rate; the ETag is the version. The refraction's "
        "values (``prescription``) only for keys that may read health data."
    ),
)
def get_order(request: HttpRequest, order_id: int, response: HttpResponse):
    return _answer(order_id, response)


@router.patch(
    "/{int:order_id}",
    response={200: OrderDetail, 403: Detail, 404: Detail, 409: OrderConflictOut, 422: Errors},
    summary="Change an order's own fields",
    description=(
        "Staff member, day promised, frame, deposit, notes and centration; fields left out "
        "keep their value. Frame, own frame and centration only while the order is a quote, "
        "placed or a complaint."
    ),
)
def update_order(request: HttpRequest, order_id: int, payload: OrderUpdate, response: HttpResponse):
    require_write(request)
    order = get_object_or_404(Order.objects.only("pk"), pk=order_id)
    values = payload.dict(exclude_unset=True, exclude={"version"})
    if refused := _refuse_health_data(request, values):
        return refused
    errors: list[dict] = []
    if "staff" in values:
        staff = get_user_model().objects.filter(is_active=True)
        _found(
            staff, values["staff"], "staff", _("Unknown or inactive staff member."), values, errors
        )
    if "frame" in values:
        _found(Product.objects, values["frame"], "frame", _("Unknown product."), values, errors)
    if errors:
        return Status(422, {"detail": errors})
    return _change(
        request,
        order.pk,
        payload.version,
        lambda version: services.order_update(order_id=order.pk, data=values, version=version),
        response,
    )


@router.post(
    "/{int:order_id}/status",
    response={200: OrderDetail, 403: Detail, 404: Detail, 409: OrderConflictOut, 422: Errors},
    summary="Move an order to another status",
    description=(
        "Only along the order's flow: quote → ordered → lenses ordered → lenses arrived → "
        "workshop → ready → picked up; cancelled; complaint after the pick-up (a cancellation "
        "and a complaint need a ``reason``). Placing glasses needs a refraction's values and a "
        "position, and takes the frame from stock; cancelling puts it back."
    ),
)
def change_status(request: HttpRequest, order_id: int, payload: StatusIn, response: HttpResponse):
    require_write(request)
    order = get_object_or_404(Order.objects.only("pk"), pk=order_id)
    return _change(
        request,
        order.pk,
        payload.version,
        lambda version: services.order_status_change(
            order_id=order.pk,
            status=payload.status,
            version=version,
            reason=payload.reason,
            lab_pays_remake=payload.lab_pays_remake,
        ),
        response,
    )


@router.post(
    "/{int:order_id}/lines",
    response={201: OrderDetail, 403: Detail, 404: Detail, 409: OrderConflictOut, 422: Errors},
    summary="Add a position",
    description=(
        "Added as the last position; answers the whole order (new version and totals). With "
        "a ``product``, what is not given comes from the product (its sale price and VAT rate)."
    ),
)
def add_position(request: HttpRequest, order_id: int, payload: PositionIn, response: HttpResponse):
    require_write(request)
    order = get_object_or_404(Order.objects.only("pk"), pk=order_id)
    values = payload.dict(exclude_unset=True, exclude={"version"})
    errors: list[dict] = []
    _found(Product.objects, values.get("product"), "product", _("Unknown product."), values, errors)
    if errors:
        return Status(422, {"detail": errors})
    data = services.product_line(values["product"]) if values["product"] else {}
    data.update({name: value for name, value in values.items() if value is not None})
    if data.get("unit_price") is None and not data.get("product"):
        # A product's price comes from it (a spectacle lens: by the eye's power).
        return Status(
            422, {"detail": [{"field": "unit_price", "message": _("This field is required.")}]}
        )
    return _change(
        request,
        order.pk,
        payload.version,
        lambda version: services.line_save(order_id=order.pk, data=data, version=version),
        response,
        created=True,
    )


@router.patch(
    "/{int:order_id}/lines/{int:line_id}",
    response={200: OrderDetail, 403: Detail, 404: Detail, 409: OrderConflictOut, 422: Errors},
    summary="Change a position",
    description="Fields left out keep their value; answers the whole order.",
)
def update_position(
    request: HttpRequest,
    order_id: int,
    line_id: int,
    payload: PositionUpdate,
    response: HttpResponse,
):
    require_write(request)
    line = get_object_or_404(OrderLine.objects.only("pk", "order_id"), pk=line_id, order=order_id)
    values = payload.dict(exclude_unset=True, exclude={"version"})
    errors: list[dict] = []
    if "product" in values:
        _found(Product.objects, values["product"], "product", _("Unknown product."), values, errors)
    if errors:
        return Status(422, {"detail": errors})
    return _change(
        request,
        order_id,
        payload.version,
        lambda version: services.line_save(
            order_id=order_id, line_id=line.pk, data=values, version=version
        ),
        response,
    )


@router.delete(
    "/{int:order_id}/lines/{int:line_id}",
    response={200: OrderDetail, 403: Detail, 404: Detail, 409: OrderConflictOut, 422: Errors},
    summary="Remove a position",
    description=(
        "The version as query parameter ``version`` or If-Match; answers the whole order."
    ),
)
def remove_position(
    request: HttpRequest,
    order_id: int,
    line_id: int,
    query: Query[VersionQuery],
    response: HttpResponse,
):
    require_write(request)
    line = get_object_or_404(OrderLine.objects.only("pk", "order_id"), pk=line_id, order=order_id)
    return _change(
        request,
        order_id,
        query.version,
        lambda version: services.line_remove(order_id=order_id, line_id=line.pk, version=version),
        response,
    )
