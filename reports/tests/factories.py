"""A shop's invoices over several days for the report tests: several staff
members, every product group, discounts in per cent and in euros, two VAT
rates in one invoice, a cancellation, an order's invoice, a counter sale
without a known seller, a draft (not counted) and a year before."""

import datetime
from decimal import Decimal as D

import time_machine
from django.utils import timezone

from customers.tests import factories as customer_factories
from invoices import services
from invoices.models import Invoice
from invoices.tests.factories import ADDRESS, repair_order
from products import services as product_services
from products.models import Category, LensDesign, SpectacleDesign, StockMovement
from products.tests.factories import product


def days_ago(days: int):
    """The clock ``days`` days back (noon in Berlin)."""
    moment = timezone.localtime().replace(hour=12, minute=0) - datetime.timedelta(days=days)
    return time_machine.travel(moment, tick=False)


def stocked(**fields):
    item = product(**fields)
    if item.category != Category.SPECTACLE_LENS:
        product_services.stock_move(
            product_id=item.pk, kind=StockMovement.Kind.RECEIPT, quantity=50
        )
    return item


def products() -> dict:
    return {
        "frame": stocked(purchase_price=D("80.00"), sale_price=D("249.00")),
        "lens": stocked(
            category=Category.SPECTACLE_LENS,
            name="Hoyalux 1.5",
            spectacle_design=SpectacleDesign.PROGRESSIVE,
            lens_index=D("1.50"),
            coatings=[],
            purchase_price=D("61.00"),
            sale_price=D("199.00"),
            minimum_stock=0,
        ),
        "contact_lens": stocked(
            category=Category.CONTACT_LENS,
            name="Acuvue Oasys",
            lens_design=LensDesign.SPHERICAL,
            base_curves=[D("8.4")],
            diameters=[D("14.0")],
            sphere_min=D("-12"),
            sphere_max=D("8"),
            cylinders=[],
            axis_step=None,
            purchase_price=D("12.34"),
            sale_price=D("29.90"),
        ),
        "care": stocked(
            category=Category.CARE,
            name="AOSept",
            purchase_price=D("3.33"),
            sale_price=D("9.95"),
            vat_rate=7,
        ),  # fmt: skip
        "sunglasses": stocked(
            category=Category.SUNGLASSES,
            name="Ray-Ban",
            purchase_price=D("55.55"),
            sale_price=D("139.00"),
        ),  # fmt: skip
        "accessory": stocked(
            category=Category.ACCESSORY,
            name="Etui",
            purchase_price=D("1.11"),
            sale_price=D("4.99"),
        ),  # fmt: skip
    }


def issued(lines, *, user=None, ago: int = 0, customer=None) -> Invoice:
    with days_ago(ago):
        invoice = services.invoice_create(customer_id=customer.pk if customer else None, user=user)
        for data in lines:
            services.invoice_line_add(invoice_id=invoice.pk, data=data)
        return services.invoice_issue(invoice_id=invoice.pk, user=user)


def shop_data(users: dict) -> dict:
    """``users``: anna, bernd, clara. What was made, by name."""
    stock = products()
    erika = customer_factories.customer(**ADDRESS, first_name="Erika", last_name="Muster")
    made = {"products": stock, "customer": erika}
    made["mixed"] = issued(
        [
            {"product": stock["frame"], "discount_percent": D("10"), "discount_reason": "Aktion"},
            {"product": stock["lens"], "quantity": 2, "discount_amount": D("15.00"),
             "discount_reason": "Stammkunde"},
            {"description": "Anpassung", "unit_price": D("25.00"), "vat_rate": 19},
            {"product": stock["care"], "quantity": 3},
        ],
        user=users["anna"], ago=35, customer=erika,
    )  # fmt: skip
    made["lenses"] = issued(
        [
            {"product": stock["contact_lens"], "quantity": 6},
            {"product": stock["care"], "quantity": 2, "discount_percent": D("33.33"),
             "discount_reason": "Paket"},
            {"product": stock["accessory"]},
            {"description": "Fachbuch", "unit_price": D("9.99"), "vat_rate": 7},
        ],
        user=users["bernd"], ago=10,
    )  # fmt: skip
    made["cancelled"] = issued(
        [
            {"product": stock["sunglasses"], "discount_percent": D("12.5"),
             "discount_reason": "Aktion"},
            {"product": stock["frame"]},
        ],
        user=users["anna"], ago=10, customer=erika,
    )  # fmt: skip
    with days_ago(2):
        made["cancellation"] = services.invoice_cancel(
            invoice_id=made["cancelled"].pk, reason="Falscher Preis", user=users["bernd"]
        )
    with days_ago(1):
        order = repair_order(erika, user=users["clara"], price=D("48.50"))
        draft = services.invoice_from_order(order_id=order.pk, user=users["anna"])
        made["ordered"] = services.invoice_issue(invoice_id=draft.pk, user=users["anna"])
    made["counter"] = issued(
        [{"product": stock["accessory"], "quantity": 3}, {"product": stock["care"]}]
    )
    made["draft"] = services.invoice_create(customer_id=None, user=users["bernd"])
    services.invoice_line_add(invoice_id=made["draft"].pk, data={"product": stock["frame"]})
    made["last_year"] = issued([{"product": stock["frame"]}], user=users["bernd"], ago=365)
    return made


def booked(*, staff, day: datetime.date, hour: int, minute: int = 0, type_name="Sehtest", **more):
    """An appointment at ``hour:minute`` in Berlin on ``day`` (opening hours,
    past or not, left unchecked: the reports count what is there)."""
    from appointments import services as appointment_services
    from appointments.tests.factories import appointment_type, at

    data = {
        "customer": customer_factories.customer(),
        "staff": staff,
        "type": appointment_type(type_name),
        "start": at(hour, minute, day),
        **more,
    }
    return appointment_services.appointment_book(data=data, allow_outside_hours=True)


def appointment_data(users: dict) -> dict:
    """``users``: anna, bernd, clara. A year of a shop's appointments, every
    status, type and staff member, each changed the ways they are: booked,
    set done, no-show or cancelled, moved to another day, staff member or
    type, edited in bulk, deleted; one at half past midnight (the day is
    Berlin's, not UTC's) and some a year before."""
    from appointments import services as appointment_services
    from appointments.models import Appointment, AppointmentType

    today = timezone.localdate()
    names = list(AppointmentType.objects.values_list("name", flat=True))
    staff = [users["anna"], users["bernd"], users["clara"]]
    made = []
    statuses = ["done", "done", "no_show", "cancelled", "done", "planned", "confirmed"]
    for number in range(60):
        day = today - datetime.timedelta(days=(number * 7) % 400 - 20)
        person = staff[number % 3]
        hour = 8 + (number % 9)
        item = booked(
            staff=person, day=day, hour=hour, minute=(number % 4) * 15,
            type_name=names[number % len(names)],
        )  # fmt: skip
        status = statuses[number % len(statuses)]
        if status != "planned":
            appointment_services.appointment_set_status(appointment_id=item.pk, status=status)
        made.append(item)
    # A longer one, ending off the type's duration.
    made.append(
        booked(staff=staff[0], day=today - datetime.timedelta(days=3), hour=19,
               end=timezone.make_aware(datetime.datetime.combine(
                   today - datetime.timedelta(days=3), datetime.time(20, 37, 30))))
    )  # fmt: skip
    # Just after midnight in Berlin: the day before in UTC.
    made.append(booked(staff=staff[1], day=today - datetime.timedelta(days=2), hour=0, minute=30))
    # Moved: another day, staff member and type; cancelled, then planned again.
    moved = made[1]
    appointment_services.appointment_update(
        appointment_id=moved.pk,
        data={
            "start": moved.start - datetime.timedelta(days=1, hours=1),
            "end": moved.end - datetime.timedelta(days=1, hours=1) + datetime.timedelta(minutes=10),
            "staff": staff[2],
            "type": AppointmentType.objects.exclude(pk=moved.type_id).first(),
        },
        allow_outside_hours=True,
    )
    again = made[3]
    appointment_services.appointment_set_status(appointment_id=again.pk, status="cancelled")
    appointment_services.appointment_set_status(appointment_id=again.pk, status="planned")
    # Edited in bulk (an UPDATE of many rows) and deleted (as the erasure does).
    Appointment.objects.filter(pk__in=[made[5].pk, made[6].pk]).update(status="no_show")
    Appointment.objects.filter(pk__in=[made[7].pk, made[8].pk]).delete()
    # A notes change counts nothing.
    Appointment.objects.filter(pk=made[9].pk).update(notes="Bitte Brille mitbringen")
    return {"appointments": made, "moved": moved, "deleted": [made[7].pk, made[8].pk]}
