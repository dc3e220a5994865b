"""An order's documents as PDF (fpdf2, A4 portrait, DejaVu Sans so that any
name and the typographic minus print): the quote for the customer
(Angebot), the cost estimate for the statutory insurer (Kostenvoranschlag)
and the lens order for the lab (Glasbestellung).

Quote and cost estimate are DIN 5008 letters for a window envelope, drawn
on opticrm.lib.documents.LetterDocument as the invoices are.

The lab gets what it needs to make the lenses and no more (data
minimisation): the order number as its reference and the customer's
initials, never the name, address, birth date or insurer.

Every value may be missing — no prescription, no frame, no positions, a
lens position without a product — and is then left out or shown as "—".
"""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from opticrm.lib.display import money
from opticrm.lib.documents import (
    EMPTY,
    MINUS,
    SMALL_SIZE,
    TEXT_SIZE,
    WIDTH,
    LetterDocument,
    percent,
    short_date,
)
from orders import rules
from orders.models import CENTRATION, SIDES, Order, OrderLine
from orders.oma import lens_sides, side_line, snapshot_eye
from orders.selectors import (
    InsuranceShare,
    insurance_share,
    order_lines,
    order_money,
)
from prescriptions.display import LABELS, value_text
from prescriptions.eyes import SIDE_LABELS, EyeValues, format_plain
from prescriptions.models import Refraction
from products.models import Category, Coating, Product, SpectacleDesign, Tint

QUOTE_VALID_WEEKS = 4
BASES = {"in", "out", "up", "down"}


# --- Values as the documents write them ------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _iso_date(text) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


def _choice(choices, value) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def lens_attributes(product: Product | None, diameter: int | None = None) -> str:
    """A spectacle lens as the shop and the lab name it: ``Zeiss ·
    SmartLife · Gleitsicht · Index 1,60 · Superentspiegelung, Hartschicht ·
    phototrop · Ø 70 mm`` (what is known of it)."""
    parts = []
    if product is not None and product.category == Category.SPECTACLE_LENS:
        parts += [product.brand, product.model, _choice(SpectacleDesign, product.spectacle_design)]
        if product.lens_index is not None:
            parts.append(_("index %(index)s") % {"index": format_plain(product.lens_index, 2)})
        parts.append(", ".join(_choice(Coating, coating) for coating in product.coatings or []))
        parts.append(_choice(Tint, product.tint))
    if diameter:
        parts.append(f"Ø {diameter} mm")
    return " · ".join(part for part in parts if part)


def _eye(prescription: dict | None, side: str) -> EyeValues:
    """One eye of the order's prescription copy, as the refraction tables
    read their records (an unknown prism base is left out)."""
    values = snapshot_eye(prescription, side)
    for name in ("prism_horizontal_base", "prism_vertical_base"):
        if values and values.get(name) not in BASES:
            values[name] = ""
    return EyeValues(side, values)


def _eye_cell(eye: EyeValues, name: str) -> str:
    return (value_text(eye, name) if eye.values else "") or EMPTY


def _centration(order: Order, side: str, name: str) -> str:
    value = getattr(order, f"{side}_{name}")
    return EMPTY if value is None else format_plain(value, 1)


def frame_text(order: Order) -> str:
    """``Lindberg 9700 · 52□18 140``, or the customer's own frame."""
    frame = order.frame if order.frame_id else None
    if frame is not None:
        return " · ".join(part for part in (frame.name, frame.frame_size) if part)
    if order.own_frame:
        return _("Customer's own frame: %(frame)s") % {"frame": order.own_frame}
    return ""


def initials(first_name: str, last_name: str) -> str:
    """``E. M.``: the customer as the lab may know them."""
    return " ".join(f"{name.strip()[0]}." for name in (first_name, last_name) if name.strip())


# --- Drawing -----------------------------------------------------------------


def _prescription_table(
    pdf: LetterDocument,
    order: Order,
    columns: Sequence[str],
    *,
    with_pd: bool = False,
    heading: str = "",
) -> bool:
    """The eyes with values of the order's prescription copy, under
    ``heading``; False (and nothing drawn) when it has none."""
    eyes = [_eye(order.prescription, side) for side in SIDES]
    eyes = [eye for eye in eyes if eye.values]
    if not eyes:
        return False
    if heading:
        pdf.heading(heading)
    headings = ["", *(str(LABELS[name]) for name in columns)]
    rows = []
    for eye in eyes:
        row = [eye.label, *(_eye_cell(eye, name) for name in columns)]
        if with_pd:
            pd = getattr(order, f"{eye.side}_pd")
            row.append(format_plain(pd, 1) if pd is not None else _eye_cell(eye, "pd"))
        rows.append(row)
    if with_pd:
        headings.append(str(LABELS["pd"]))
    # The prism (two parts with their bases) gets twice the room of a value.
    weights = [2 if name == "prism" else 1 for name in columns] + [1] * with_pd
    unit = (WIDTH - 10) / sum(weights)
    widths = [10, *(weight * unit for weight in weights)]
    pdf.table_of(headings, rows, widths=widths, align=("LEFT", *["CENTER"] * (len(widths) - 1)))
    return True


def _prescription_source(order: Order) -> str:
    """``Subjektive Refraktion, 12.03.2026`` — what the values are."""
    prescription = order.prescription or {}
    kind = _choice(Refraction.Kind, prescription.get("kind"))
    day = short_date(_iso_date(prescription.get("date")))
    return ", ".join(part for part in (kind, day) if part)


# --- The quote -----------------------------------------------------------------


def _position_rows(lines: Sequence[OrderLine]) -> list[list[str]]:
    rows = []
    for line in lines:
        discount, total = rules.line_gross(
            line.quantity, line.unit_price, line.discount_percent, line.discount_amount
        )
        description = [line.description]
        if line.eye:
            description[0] += f" ({line.get_eye_display()})"
        attributes = lens_attributes(line.product if line.product_id else None, line.diameter)
        if attributes:
            description.append(attributes)
        if discount and line.discount_percent is not None:
            description.append(
                _("Discount of %(percent)s %%: %(reason)s")
                % {"percent": percent(line.discount_percent), "reason": line.discount_reason}
            )
        elif discount:
            description.append(_("Discount: %(reason)s") % {"reason": line.discount_reason})
        rows.append(
            [
                str(line.position),
                str(line.quantity),
                "\n".join(description),
                money(line.unit_price),
                f"{MINUS}{money(discount)}" if discount else "",
                money(total),
            ]
        )
    return rows


def _insurer_notes(pdf: LetterDocument, share: InsuranceShare | None) -> None:
    """What the quote says of the insurer's share beside its amounts
    (which stand in the totals)."""
    if share is None or not share.eligibility.eligible:
        return
    if not share.payable:
        pdf.paragraph(
            _(
                "Your health insurer is expected to pay towards the lenses; we will tell you "
                "the amount once it is known."
            ),
            size=SMALL_SIZE,
        )
        return
    notes = []
    if share.co_payment_total:
        notes.append(
            _("Your own share includes the statutory co-payment of %(amount)s.")
            % {"amount": money(share.co_payment_total)}
        )
    notes.append(_("The insurer's share is subject to its approval of the cost estimate."))
    pdf.paragraph(" ".join(notes), size=SMALL_SIZE)


def quote_pdf(order: Order, *, with_values: bool = True) -> bytes:
    """The quote (Angebot) for the customer: the letter with the
    prescription values (``with_values``: only for a user who may see
    them), the frame, each position, the totals per VAT rate, the
    insurer's expected share, the customer's own share and what is due
    after the deposit (orders.selectors.order_money, as on the page)."""
    customer = order.customer
    lines = list(order_lines(order.pk).select_related("product"))
    figures = order_money(order, lines)
    totals = figures.totals
    today = _today()
    subject = _("Quote no. %(number)s") % {"number": order.pk}
    pdf = LetterDocument(subject)
    pdf.letter_head(
        window=customer.postal_address_lines,
        info=[(_("Date"), short_date(today)), (capfirst(_("order")), str(order.pk))],
        subject=subject,
    )
    pdf.paragraph(
        customer.letter_salutation
        + ",\n\n"
        + _("thank you for your visit. We are pleased to offer you the following:")
    )

    source = _prescription_source(order)
    if (
        with_values
        and _prescription_table(
            pdf,
            order,
            ("sphere", "cylinder", "axis", "addition", "prism"),
            with_pd=True,
            heading=_("Your prescription values"),
        )
        and source
    ):
        pdf.paragraph(source, size=SMALL_SIZE)
    frame = frame_text(order)
    if frame:
        pdf.heading(_("Frame"))
        pdf.paragraph(frame)

    pdf.heading(_("Positions"))
    if lines:
        pdf.table_of(
            [
                pgettext("order", "position"),
                _("Quantity"),
                _("Description"),
                _("Unit price"),
                _("Discount"),
                _("Total"),
            ],
            _position_rows(lines),
            widths=(10, 16, 76, 24, 21, 23),
            align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        )
    else:
        pdf.paragraph(_("No positions yet."))

    rows = [
        [f"{rate} %", money(part.net), money(part.vat), money(part.gross)]
        for rate, part in totals.rates.items()
    ]
    if rows:
        pdf.table_of(
            [_("VAT rate"), _("Net"), _("VAT"), _("Gross")],
            rows,
            widths=(WIDTH - 3 * 30, 30, 30, 30),
            align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        )
    summary = [[_("Total amount"), money(figures.gross)]]
    if totals.discount:
        summary.append([_("Discounts included"), money(totals.discount)])
    insurer = customer.insurance_provider.name if customer.insurance_provider_id else ""
    if figures.insurer:
        summary.append(
            [
                _("Expected share of your health insurer (%(insurer)s)") % {"insurer": insurer},
                f"{MINUS}{money(figures.insurer)}",
            ]
        )
        summary.append([_("Your own share"), money(figures.customer_share)])
    if figures.deposit:
        summary.append([capfirst(_("deposit received")), f"{MINUS}{money(figures.deposit)}"])
    if figures.insurer or figures.deposit:
        summary.append([_("Amount due"), money(figures.open)])
    pdf.table_of(
        None,
        summary,
        widths=(WIDTH - 40, 40),
        align=("LEFT", "RIGHT"),
        size=TEXT_SIZE,
        bold_rows=(0, len(summary) - 1),
        borders="SINGLE_TOP_LINE",
    )
    _insurer_notes(pdf, figures.share)

    pdf.ln(3)
    valid_until = today + datetime.timedelta(weeks=QUOTE_VALID_WEEKS)
    pdf.paragraph(
        ngettext(
            "This quote is valid for %(weeks)d week, until %(date)s.",
            "This quote is valid for %(weeks)d weeks, until %(date)s.",
            QUOTE_VALID_WEEKS,
        )
        % {"weeks": QUOTE_VALID_WEEKS, "date": short_date(valid_until)}
    )
    pdf.ln(3)
    pdf.paragraph(
        _("Kind regards") + "\n\n" + _("Your team at %(shop)s") % {"shop": settings.SHOP_NAME}
    )
    return bytes(pdf.output())


# --- The cost estimate -------------------------------------------------------------


def _address_line(customer) -> str:
    lines = customer.postal_address_lines[1:]
    return ", ".join(lines)


def cost_estimate_pdf(order: Order) -> bytes:
    """The cost estimate (Kostenvoranschlag) for the statutory insurer: the
    insured person, the prescription, each lens with its aid position
    number, price, fixed amount, co-payment and what the insurer pays; the
    eligibility. Sent as eKV by a certified service provider, not by
    OptiCRM."""
    customer = order.customer
    lines = list(order_lines(order.pk).select_related("product"))
    share = insurance_share(order, lines)
    insurer = customer.insurance_provider.name if customer.insurance_provider_id else ""
    today = _today()
    title = _("Cost estimate for spectacle lenses")
    pdf = LetterDocument(f"{title} · {_('Order %(number)s') % {'number': order.pk}}")
    info = [(_("Date"), short_date(today)), (capfirst(_("order")), str(order.pk))]
    if settings.SHOP_IK:
        info.append((_("Our IK"), settings.SHOP_IK))
    pdf.letter_head(window=[insurer] if insurer else [], info=info, subject=title)

    pdf.heading(_("Insured person"))
    pdf.facts(
        [
            (_("Name"), customer.full_name),
            (_("Date of birth"), short_date(customer.date_of_birth)),
            (_("Address"), _address_line(customer)),
            (_("Insurance number"), order.insurance_number),
            (_("Insurance provider"), insurer),
        ]
    )

    prescription = order.prescription or {}
    pdf.heading(_("Prescription"))
    pdf.facts(
        [
            (_("Prescribed by"), prescription.get("prescriber") or ""),
            (_("Date of the prescription"), short_date(_iso_date(prescription.get("date")))),
            (_("Kind"), _choice(Refraction.Kind, prescription.get("kind"))),
        ]
    )
    if share is not None and share.eligibility.needs_prescription:
        pdf.paragraph(
            _(
                "The insurer pays only with a prescription (Verordnung) of an "
                "ophthalmologist; it is still needed before the glasses are made."
            ),
            style="B",
        )
    if not _prescription_table(
        pdf, order, ("sphere", "cylinder", "axis", "addition", "prism", "visus_cc")
    ):
        pdf.paragraph(_("No prescription values."))

    pdf.heading(_("Lenses"))
    if share is None:
        pdf.paragraph(
            _(
                "This order has no statutory insurer's share: no statutory health insurer is "
                "recorded for the customer, or the order is not for glasses."
            )
        )
    else:
        reasons = "; ".join(share.eligibility.reasons)
        if share.eligibility.eligible:
            eligibility = _("Eligible: %(reasons)s") % {"reasons": reasons}
        else:
            eligibility = _("Not eligible: %(reasons)s") % {"reasons": reasons}
        if share.lenses:
            rows = []
            for lens in share.lenses:
                _discount, cost = rules.line_gross(
                    lens.line.quantity,
                    lens.line.unit_price,
                    lens.line.discount_percent,
                    lens.line.discount_amount,
                )
                name = "\n".join(
                    part
                    for part in (
                        lens.line.description,
                        lens_attributes(
                            lens.line.product if lens.line.product_id else None, lens.line.diameter
                        ),
                    )
                    if part
                )
                if lens.line.quantity != 1:
                    name = f"{lens.line.quantity} × {name}"
                rows.append(
                    [
                        str(SIDE_LABELS[lens.line.eye]),
                        name,
                        lens.fixed.aid_number if lens.fixed else EMPTY,
                        money(cost),
                        money(lens.fixed.amount) if lens.fixed else EMPTY,
                        money(lens.co_payment),
                        money(lens.insurer_pays),
                    ]
                )
            pdf.table_of(
                [
                    _("Eye"),
                    _("Spectacle lens"),
                    capfirst(_("aid position number")),
                    _("Price"),
                    capfirst(_("fixed amount per lens")),
                    _("Co-payment"),
                    _("Insurer pays"),
                ],
                rows,
                widths=(11, 36, 45, 19.5, 19.5, 19.5, 19.5),
                align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            )
            if any(lens.fixed is None for lens in share.lenses):
                pdf.paragraph(_("No fixed amount is known for a lens marked “—”."), size=SMALL_SIZE)
            pdf.table_of(
                None,
                [
                    [_("Co-payments in total"), money(share.co_payment_total)],
                    [_("Insurer's share in total"), money(share.insurer_total)],
                ],
                widths=(WIDTH - 40, 40),
                align=("LEFT", "RIGHT"),
                size=TEXT_SIZE,
                bold_rows=(1,),
                borders="SINGLE_TOP_LINE",
            )
        elif share.eligibility.eligible:
            pdf.paragraph(_("The order has no spectacle lens for the right or left eye yet."))
        pdf.paragraph(eligibility)

    pdf.ln(2)
    pdf.paragraph(
        _(
            "The cost estimate goes to the insurer electronically (eKV) through a certified "
            "service provider; OptiCRM does not submit it."
        ),
        size=SMALL_SIZE,
    )
    pdf.signature(_("Date, signature"))
    return bytes(pdf.output())


# --- The lens order ----------------------------------------------------------------


def _prism_text(eye: EyeValues) -> str:
    return value_text(eye, "prism") if eye.values else ""


def lab_order_pdf(order: Order) -> bytes:
    """The lens order (Glasbestellung) for the lab: per eye the values in
    the lab's notation, the lens, diameter and centration, the frame's box
    and the promised date; the customer only as the order number and
    initials."""
    customer = order.customer
    lines = list(order_lines(order.pk).select_related("product", "product__supplier"))
    sides = lens_sides(order, lines) or list(SIDES)
    lens = {side: side_line(lines, side) for side in sides}
    suppliers = list(
        {
            line.product.supplier_id: line.product.supplier
            for line in lens.values()
            if line is not None and line.product_id and line.product.supplier_id
        }.values()
    )
    title = _("Lens order")
    reference = _("Order %(number)s") % {"number": order.pk}
    pdf = LetterDocument(f"{title} · {reference}")
    pdf.letter_head(
        window=[supplier.name for supplier in suppliers],
        info=[(_("Date"), short_date(_today())), (capfirst(_("order")), str(order.pk))],
        subject=f"{title} – {reference}",
    )
    facts = [
        (
            _("Reference"),
            " / ".join(
                p for p in (str(order.pk), initials(customer.first_name, customer.last_name)) if p
            ),
        ),
    ]
    for supplier in suppliers:
        facts.append((_("Supplier"), supplier.name))
        if supplier.customer_number:
            facts.append((capfirst(_("our customer number")), supplier.customer_number))
    facts.append((capfirst(_("ready by")), short_date(order.promised_date)))
    pdf.facts(facts)

    eyes = {side: _eye(order.prescription, side) for side in sides}
    pdf.heading(_("Lens values"))
    pdf.table_of(
        [
            "",
            str(LABELS["sphere"]),
            str(LABELS["cylinder"]),
            _("Axis"),
            str(LABELS["addition"]),
            _("Prism/base"),
            _("Diameter"),
        ],
        [
            [
                str(SIDE_LABELS[side]),
                _eye_cell(eyes[side], "sphere"),
                _eye_cell(eyes[side], "cylinder"),
                _eye_cell(eyes[side], "axis"),
                _eye_cell(eyes[side], "addition"),
                _prism_text(eyes[side]) or EMPTY,
                f"{lens[side].diameter} mm" if lens[side] and lens[side].diameter else EMPTY,
            ]
            for side in sides
        ],
        widths=(10, 20, 20, 16, 16, 62, 26),
        align=("LEFT", "CENTER", "CENTER", "CENTER", "CENTER", "CENTER", "CENTER"),
        size=TEXT_SIZE - 0.5,
    )

    pdf.heading(_("Spectacle lens"))
    pdf.table_of(
        None,
        [
            [
                str(SIDE_LABELS[side]),
                "\n".join(
                    part
                    for part in (
                        lens[side].description if lens[side] else "",
                        lens_attributes(
                            lens[side].product if lens[side] and lens[side].product_id else None
                        ),
                    )
                    if part
                )
                or EMPTY,
            ]
            for side in sides
        ],
        widths=(10, WIDTH - 10),
        align=("LEFT", "LEFT"),
        size=TEXT_SIZE - 0.5,
    )

    pdf.heading(_("Centration"))
    names = ("pd", "fitting_height", "vertex_distance", "pantoscopic_tilt", "wrap_angle")
    pdf.table_of(
        [
            "",
            *(capfirst(str(CENTRATION[name][0])) for name in names[:-1]),
            # The lab's short "FSW": the whole word does not fit the column.
            pgettext("lens order", "Wrap angle (°)"),
        ],
        [
            [str(SIDE_LABELS[side]), *(_centration(order, side, name) for name in names)]
            for side in sides
        ],
        widths=(10, *[(WIDTH - 10) / len(names)] * len(names)),
        align=("LEFT", *["CENTER"] * len(names)),
        size=TEXT_SIZE - 0.5,
    )

    pdf.heading(_("Frame"))
    pdf.paragraph(frame_text(order) or _("No frame given."))
    return bytes(pdf.output())
