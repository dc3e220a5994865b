"""German data in bulk for the benchmark and the query-plan checks (issue 8).

Rows go in with COPY (or INSERT … SELECT, for the orders), triggers
(history, live counters, foreign-key checks) switched off for the load and
the indexes built once afterwards, so a chain of a million customers loads
in minutes on two cores. The values obey the
same rules the app enforces (names, ranges and steps of prescriptions, no
double booking); the derived search and sort columns come from the model's
own code. Deterministic for a given seed.
"""

import datetime
import random
import re
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import AppointmentType, StaffCalendar
from customers.demo import FIRST_NAMES, LAST_NAMES
from customers.models import Customer, InsuranceProvider
from products import gtin
from products.models import Category

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
APPOINTMENTS_PER_DAY = 8  # per staff member, 45 minutes apart from 09:00
APPOINTMENTS_PER_STAFF = 6_250  # about three years of working days
FUTURE_DAYS = 60  # working days the shop is booked ahead
BRANDS = ["Ray-Ban", "Lindberg", "Silhouette", "Marc O'Polo", "Rodenstock", "Zeiss", "Oakley"]
COLOURS = ["Schwarz", "Havanna", "Gold", "Silber", "Blau matt", "Grün-Grau", "Bordeaux"]
MOBILE_PREFIXES = ["151", "152", "157", "160", "170", "171", "172", "175", "176", "177", "179"]
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_ASCII = re.compile(r"[^a-z0-9.\-]")
STREETS_MAIL = ["web.de", "gmx.de", "t-online.de", "posteo.de", "example.de"]
# A chain's customers live all over Germany: towns with their postcode
# ranges, the large ones more often (issue 23: search by town and postcode).
BENCH_TOWNS = [
    ("Berlin", 10115, 14199, 12), ("Hamburg", 20095, 22769, 6), ("München", 80331, 81929, 5),
    ("Köln", 50667, 51149, 4), ("Frankfurt am Main", 60306, 60599, 3),
    ("Stuttgart", 70173, 70629, 2), ("Düsseldorf", 40210, 40629, 2), ("Leipzig", 4103, 4357, 2),
    ("Dortmund", 44135, 44388, 2), ("Essen", 45127, 45359, 2), ("Bremen", 28195, 28779, 2),
    ("Dresden", 1067, 1328, 2), ("Hannover", 30159, 30669, 2), ("Nürnberg", 90402, 90491, 2),
    ("Duisburg", 47051, 47279, 1), ("Bochum", 44787, 44894, 1), ("Wuppertal", 42103, 42399, 1),
    ("Bielefeld", 33602, 33739, 1), ("Bonn", 53111, 53229, 1), ("Münster", 48143, 48167, 1),
    ("Mannheim", 68159, 68309, 1), ("Karlsruhe", 76131, 76229, 1), ("Augsburg", 86150, 86199, 1),
    ("Wiesbaden", 65183, 65207, 1), ("Freiburg im Breisgau", 79098, 79117, 1),
    ("Lübeck", 23552, 23570, 1), ("Erfurt", 99084, 99099, 1), ("Rostock", 18055, 18147, 1),
    ("Kassel", 34117, 34134, 1), ("Saarbrücken", 66111, 66133, 1), ("Potsdam", 14467, 14482, 1),
    ("Regensburg", 93047, 93059, 1), ("Würzburg", 97070, 97084, 1), ("Ulm", 89073, 89081, 1),
    ("Bad Tölz", 83646, 83646, 1), ("Garmisch-Partenkirchen", 82467, 82467, 1),
]  # fmt: skip
BENCH_STREETS = [
    "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße",
    "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Am Markt",
]  # fmt: skip
# Tables the loader fills: what a reload or a test's clean-up empties.
LOADED_TABLES = (
    "documents_customerdocumentevent",
    "documents_customerdocument",
    "reports_revenueday",
    "reports_productsaleday",
    "reports_productsalemonth",
    "reports_appointmentday",
    "invoices_unsettled",
    "invoices_invoiceday",
    "invoices_invoicedayrate",
    "invoices_paymentevent",
    "invoices_payment",
    "invoices_invoicedocument",
    "invoices_invoiceline",
    "invoices_invoice",
    "invoices_invoicecounter",
    "orders_orderlineevent",
    "orders_orderevent",
    "orders_orderline",
    "orders_order",
    "messaging_message",
    "messaging_consent",
    "prescriptions_contactlensfitting",
    "appointments_appointment",
    "prescriptions_refraction",
    "customers_customersearchword",
    "customers_customercount",
    "customers_customer",
    "products_product",
    "appointments_staffcalendar",
)
TABLES = [
    "customers_customer",
    "customers_customersearchword",
    "appointments_appointment",
    "products_product",
    "prescriptions_refraction",
    "messaging_consent",
    "prescriptions_contactlensfitting",
    "messaging_message",
    "orders_order",
    "orders_orderline",
    "invoices_invoice",
    "invoices_invoiceline",
    "invoices_payment",
]


@dataclass(frozen=True)
class Sizes:
    customers: int
    appointments: int
    products: int
    refraction_share: float = 0.2
    # The customer whose page is measured: a long-standing one.
    detail_refractions: int = 20
    detail_appointments: int = 50


@dataclass
class Loaded:
    """What was loaded, for the benchmark to ask for."""

    detail_customer_id: int = 0
    calendar_staff_ids: list[int] = field(default_factory=list)
    busiest_day: datetime.date | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _address(rng: random.Random) -> tuple[str, str, str]:
    """Street, postcode and town of one customer; a tenth have none."""
    if rng.random() < 0.1:
        return "", "", ""
    town, first, last, _weight = rng.choices(BENCH_TOWNS, weights=[t[3] for t in BENCH_TOWNS])[0]
    street = f"{rng.choice(BENCH_STREETS)} {rng.randint(1, 150)}"
    return street, f"{rng.randint(first, last):05d}", town


def _customer_rows(
    rng: random.Random,
    count: int,
    providers: dict[int, str],
    now,
    *,
    addresses: random.Random | None = None,
) -> Iterable[tuple]:
    """``addresses`` draws the addresses: a generator of their own, so the
    rest of the data is what it was before customers had addresses."""
    today = timezone.localdate()
    insurer_ids = list(providers)
    addresses = addresses or random.Random(0)
    customer = Customer()  # reused: only its derived-field code is wanted
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        customer.first_name, customer.last_name = first, last
        local = _ASCII.sub("", f"{first}.{last}.{number}".lower().translate(_UMLAUTS))
        customer.email = f"{local}@{rng.choice(STREETS_MAIL)}" if rng.random() < 0.7 else ""
        mobile = f"+49{rng.choice(MOBILE_PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"
        customer.phone = mobile if rng.random() < 0.8 else ""
        customer.insurance_provider_id = rng.choice(insurer_ids) if rng.random() < 0.9 else None
        customer.street, customer.postcode, customer.town = _address(addresses)
        customer.refresh_derived_fields(insurer_names=providers)
        born = today - datetime.timedelta(days=rng.randint(6 * 365, 92 * 365))
        exam = (
            today - datetime.timedelta(days=rng.randint(0, 6 * 365)) if rng.random() < 0.6 else None
        )
        if exam and exam < born:
            exam = None
        status = rng.choices(["active", "inactive", "prospect"], weights=[85, 10, 5])[0]
        deleted = (
            now - datetime.timedelta(days=rng.randint(1, 300)) if rng.random() < 0.01 else None
        )
        yield (
            now, now, first, last, customer.email, str(customer.phone), born, exam, "", status, 1,
            deleted, customer.sort_name, customer.search_text, customer.insurance_sort,
            customer.insurance_provider_id, "", "", customer.street, customer.postcode,
            customer.town, "DE", customer.phone_takes_sms,
        )  # fmt: skip


CUSTOMER_COLUMNS = (
    "created_at, updated_at, first_name, last_name, email, phone, date_of_birth, "
    "last_exam_date, notes, status, version, deleted_at, sort_name, search_text, "
    "insurance_sort, insurance_provider_id, salutation, title, street, postcode, town, country, "
    "phone_takes_sms"
)


def _product_rows(rng: random.Random, count: int, now) -> Iterable[tuple]:
    categories = [choice.value for choice in Category]
    for number in range(count):
        category = rng.choice(categories)
        body = f"40{number:010d}"
        ean = body + str(gtin.check_digit(body))
        brand = rng.choice(BRANDS)
        frame = category == Category.FRAME
        purchase = Decimal(rng.randint(500, 30000)) / 100
        yield (
            now, now, category, f"A-{number:06d}", ean, f"{brand} {rng.randint(1000, 9999)}",
            brand, f"M{rng.randint(10, 99)}", rng.choice(COLOURS),
            rng.randint(46, 58) if frame else None, rng.randint(14, 22) if frame else None,
            rng.choice([135, 140, 145, 150]) if frame else None,
            purchase, (purchase * Decimal("2.5")).quantize(Decimal("0.01")), 19,
            rng.randint(0, 5), rng.randint(0, 40), rng.random() < 0.95, 1,
        )  # fmt: skip


PRODUCT_COLUMNS = (
    "created_at, updated_at, category, article_number, ean, name, brand, model, colour, "
    "lens_width, bridge_width, temple_length, purchase_price, sale_price, vat_rate, "
    "minimum_stock, stock, active, version"
)


def _weekdays(first: datetime.date, count: int, step: int) -> list[datetime.date]:
    """``count`` weekdays from ``first`` on, forwards (step 1) or back (-1)."""
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=step)
    return days


def _schedule(count: int, staff_ids: list[int], calendar_ids: list[int]) -> list[tuple]:
    """(day, staff members working that day) until ``count`` appointments:
    the shop's calendar staff booked FUTURE_DAYS ahead; its history, and
    that of the chain's other staff, going back from yesterday. A day of
    the calendar therefore has the shop's eight columns, not the chain's."""
    if count <= 0:
        return []
    per_day = len(calendar_ids) * APPOINTMENTS_PER_DAY
    ahead = min(FUTURE_DAYS, -(-count // per_day) // 3 or 1)
    today = timezone.localdate()
    plan = [(day, calendar_ids) for day in _weekdays(today, ahead, 1)]
    left = count - ahead * per_day
    past_days = max(0, -(-left // (len(staff_ids) * APPOINTMENTS_PER_DAY)))
    yesterday = today - datetime.timedelta(days=1)
    plan += [(day, staff_ids) for day in _weekdays(yesterday, past_days, -1)]
    return sorted(plan)


def _appointment_rows(rng, count, customer_ids, type_ids, schedule, now) -> Iterable[tuple]:
    made = 0
    for day, staff_ids in schedule:
        for staff_id in staff_ids:
            for slot in range(APPOINTMENTS_PER_DAY):
                if made == count:
                    return
                start = datetime.datetime.combine(
                    day, datetime.time(9), tzinfo=BERLIN
                ) + datetime.timedelta(minutes=45 * slot)
                if start < now:
                    status = rng.choices(["done", "cancelled", "no_show"], weights=[85, 10, 5])[0]
                else:
                    status = rng.choice(["planned", "confirmed"])
                yield (
                    now, now, start, start + datetime.timedelta(minutes=30), status, "", 1,
                    rng.choice(customer_ids), staff_id, rng.choice(type_ids),
                )  # fmt: skip
                made += 1


APPOINTMENT_COLUMNS = (
    'created_at, updated_at, start, "end", status, notes, version, customer_id, staff_id, type_id'
)


# appointments_next_start() of appointments migration 0005 (the rule's one
# home, which the trigger and customers.selectors.next_appointment call), for
# all customers at once. Not the function itself per customer: it finds a
# customer's appointments through the customer_id index, which the load drops
# until the end, so a million calls would each read the whole table. Its
# condition is repeated here, and opticrm/tests/test_bench_data.py checks
# every stored value against the function.
FILL_NEXT_APPOINTMENTS = """
    UPDATE customers_customer c SET next_appointment_at = upcoming.first
    FROM (
        SELECT customer_id, min(start) AS first FROM appointments_appointment
        WHERE start >= now() AND status IN ('planned', 'confirmed')
        GROUP BY customer_id
    ) upcoming
    WHERE c.id = upcoming.customer_id AND c.next_appointment_at IS DISTINCT FROM upcoming.first
"""


# As prescriptions_last_refraction() in prescriptions migration 0004, for all at once.
# What the trigger of customers migration 0011 does row by row, at once.
FILL_SEARCH_WORDS = """
    INSERT INTO customers_customersearchword (customer_id, word, sort_name)
    SELECT c.id, key, c.sort_name
    FROM customers_customer c, customers_search_keys(c.search_text) AS key
    WHERE c.id > %s AND c.deleted_at IS NULL
"""
# What the triggers of customers migration 0013 do per statement, at once.
ADD_COUNTS = """
    INSERT INTO customers_customercount AS kept (kind, value, customers)
    SELECT k.kind, k.value, count(*)
    FROM customers_customer c,
        customers_count_keys(
            c.status, c.insurance_provider_id, c.search_text, c.last_refraction_date,
            c.has_consent
        ) AS k
    WHERE c.id > %s AND c.deleted_at IS NULL
    GROUP BY k.kind, k.value
    ON CONFLICT (kind, value) DO UPDATE SET customers = kept.customers + EXCLUDED.customers
"""
FILL_LAST_REFRACTIONS = """
    UPDATE customers_customer c SET last_refraction_date = newest.date
    FROM (
        SELECT customer_id, max(date) AS date FROM prescriptions_refraction
        WHERE superseded_at IS NULL GROUP BY customer_id
    ) newest
    WHERE c.id = newest.customer_id AND c.last_refraction_date IS DISTINCT FROM newest.date
"""


# --- The messaging features' data (consents, contact lens fittings, messages) --
#
# A version of its own: a database loaded before these features gets them
# added by top_up() instead of a reload of many minutes. Every share is drawn
# from a hash of the customer's id, so the same customers get the same rows
# however often the data is added.
MESSAGING_DATA_VERSION = 2
MESSAGING_TABLES = ("messaging_message", "messaging_consent", "prescriptions_contactlensfitting")
# (channel, purpose, per mille of the customers, hash salt); a twentieth of
# the marketing e-mail consents are withdrawn (online, by the unsubscribe link).
CONSENT_SHARES = (
    ("email", "service", 500, 11),
    ("sms", "service", 500, 12),
    ("email", "marketing", 350, 13),
    ("sms", "marketing", 250, 14),
    ("letter", "marketing", 100, 15),
)
WITHDRAWN_PER_MILLE = 50
FITTING_PER_MILLE = 37  # wearers of contact lenses: about 10,000 recalls due
FAILED_MESSAGES_PER_CUSTOMER = 0.005  # 5,000 at a million customers
SENT_RECALLS_PER_CUSTOMER = 0.02  # recalls of the last 16 weeks: the "contacted lately" probe


def _share(salt: int) -> str:
    """0…999 from the customer's id: who gets a row of a kind."""
    return f"mod(hashint8extended(c.id, {salt}) & 1048575, 1000)::int"


ADD_CONSENTS = f"""
    INSERT INTO messaging_consent (
        created_at, updated_at, channel, purpose, given_at, method, text,
        withdrawn_at, withdrawal_method, customer_id
    )
    SELECT %(now)s, %(now)s, %(channel)s, %(purpose)s,
        %(now)s - make_interval(days => {_share(21)}),
        (ARRAY['in_store', 'in_store', 'in_store', 'written', 'online'])[1 + {_share(22)} / 200],
        %(text)s,
        CASE WHEN {_share(23)} < %(withdrawn)s
            THEN %(now)s - make_interval(days => {_share(24)} / 10) END,
        CASE WHEN {_share(23)} < %(withdrawn)s THEN 'online' ELSE '' END,
        c.id
    FROM customers_customer c
    WHERE c.id > %(after)s AND {{share}} < %(per_mille)s
    ON CONFLICT DO NOTHING
"""
ADD_FITTINGS = f"""
    INSERT INTO prescriptions_contactlensfitting (
        created_at, updated_at, date, wearing_notes, customer_id, examiner_id,
        right_base_curve, right_diameter, right_sphere, right_replacement,
        left_base_curve, left_diameter, left_sphere, left_replacement
    )
    SELECT %(now)s, %(now)s, %(today)s - {_share(32)} * 730 / 1000, '', c.id,
        (%(staff)s::int[])[1 + mod({_share(33)}, cardinality(%(staff)s::int[]))],
        8.6, 14.2, ({_share(34)} / 40 - 24) * 0.25 - 0.25, 'monthly',
        8.6, 14.2, ({_share(35)} / 40 - 24) * 0.25 - 0.25, 'monthly'
    FROM customers_customer c
    WHERE c.id > %(after)s AND c.deleted_at IS NULL AND {_share(31)} < %(per_mille)s
"""
ADD_MESSAGES = f"""
    INSERT INTO messaging_message (
        created_at, updated_at, customer_id, kind, channel, purpose, recipient, subject, text,
        state, send_at, attempts, sent_at, reason, gateway_id
    )
    SELECT sent - interval '1 minute', sent + make_interval(mins => %(retried)s), id,
        'recall_eye_test', 'email', 'marketing', email, %(subject)s, %(text)s,
        %(state)s, sent, %(attempts)s, CASE WHEN %(state)s = 'sent' THEN sent END,
        %(reason)s, ''
    FROM (
        SELECT c.id, c.email,
            %(now)s - make_interval(
                mins => ({_share(42)}::bigint * %(minutes)s / 1000)::int
            ) AS sent
        FROM customers_customer c
        WHERE c.id > %(after)s AND c.deleted_at IS NULL AND c.email <> ''
        ORDER BY hashint8extended(c.id, %(salt)s) LIMIT %(count)s
    ) chosen
"""
# What the trigger of messaging migration 0005 keeps, for all at once, in
# both directions and only where it changes (a top-up rewrites no row it
# need not: every written row adds an entry to each of the customers'
# indexes). A join, not a probe per customer: the load builds the consents'
# indexes only at its end.
FILL_HAS_CONSENT = """
    UPDATE customers_customer c SET has_consent = true
    WHERE c.id > %s AND NOT c.has_consent AND EXISTS (
        SELECT 1 FROM messaging_consent m
        WHERE m.customer_id = c.id AND m.withdrawn_at IS NULL
    )
"""
# The count of customers without a consent, as the count triggers of
# customers migration 0020 keep it: for a top-up, whose updates skip them.
RECOUNT_WITHOUT_CONSENT = """
    WITH counted AS (
        SELECT count(*) AS customers FROM customers_customer
        WHERE deleted_at IS NULL AND NOT has_consent
    ), kept AS (
        INSERT INTO customers_customercount AS kept (kind, value, customers)
        SELECT 'consent', 'none', customers FROM counted WHERE customers > 0
        ON CONFLICT (kind, value) DO UPDATE SET customers = EXCLUDED.customers
    )
    DELETE FROM customers_customercount
    WHERE kind = 'consent' AND value = 'none' AND (SELECT customers FROM counted) = 0
"""
# What the triggers of prescriptions migration 0006 keep, for all at once.
FILL_LAST_FITTINGS = """
    UPDATE customers_customer c SET last_fitting_date = newest.date
    FROM (
        SELECT customer_id, max(date) AS date FROM prescriptions_contactlensfitting
        WHERE superseded_at IS NULL GROUP BY customer_id
    ) newest
    WHERE c.id = newest.customer_id AND c.last_fitting_date IS DISTINCT FROM newest.date
"""
FILL_WEARS_CORRECTION = """
    WITH wearing AS (
        SELECT customer_id FROM prescriptions_contactlensfitting WHERE superseded_at IS NULL
        UNION
        SELECT customer_id FROM (
            SELECT DISTINCT ON (customer_id) * FROM prescriptions_refraction
            WHERE superseded_at IS NULL ORDER BY customer_id, date DESC, id DESC
        ) newest
        WHERE coalesce(right_sphere, 0) <> 0 OR coalesce(right_cylinder, 0) <> 0
            OR coalesce(left_sphere, 0) <> 0 OR coalesce(left_cylinder, 0) <> 0
            OR coalesce(right_addition, 0) <> 0 OR coalesce(left_addition, 0) <> 0
    )
    UPDATE customers_customer c
    SET wears_correction = c.id IN (SELECT customer_id FROM wearing)
    WHERE c.wears_correction IS DISTINCT FROM (c.id IN (SELECT customer_id FROM wearing))
"""


def _add_messaging_data(cursor, *, after: int, staff_ids: list[int], now, count: int) -> None:
    """Consents, fittings and messages of the customers with ids above
    ``after`` (``count`` of them), and the customer columns the fittings
    decide; in the caller's transaction, triggers off."""
    from django.utils import translation

    from messaging.selectors import default_text

    today = timezone.localdate(now)
    with translation.override("de"):
        texts = {(c, p): default_text(c, p) for c, p, _share_, _salt in CONSENT_SHARES}
    for channel, purpose, per_mille, salt in CONSENT_SHARES:
        cursor.execute(
            ADD_CONSENTS.replace("{share}", _share(salt)),
            {
                "now": now, "channel": channel, "purpose": purpose, "after": after,
                "text": texts[channel, purpose], "per_mille": per_mille,
                "withdrawn": WITHDRAWN_PER_MILLE if purpose == "marketing" and channel == "email"
                else 0,
            },
        )  # fmt: skip
    # Fresh rows have no statistics and the indexes are dropped: planned
    # blind, the semi-join probed the consents per customer by scanning
    # them all (minutes for 50,000 customers). A hash join reads each once.
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(FILL_HAS_CONSENT, [after])
    cursor.execute("SET LOCAL enable_nestloop = on")
    cursor.execute(
        ADD_FITTINGS,
        {"now": now, "today": today, "staff": staff_ids, "after": after,
         "per_mille": FITTING_PER_MILLE},
    )  # fmt: skip
    recall = {"subject": "Ihr Sehtest ist fällig", "text": "Guten Tag, Ihr Sehtest ist fällig."}
    cursor.execute(
        ADD_MESSAGES,
        {**recall, "now": now, "after": after, "salt": 41, "minutes": 16 * 7 * 24 * 60,
         "count": int(count * SENT_RECALLS_PER_CUSTOMER), "state": "sent", "attempts": 1,
         "retried": 0, "reason": ""},
    )  # fmt: skip
    cursor.execute(
        ADD_MESSAGES,
        {**recall, "now": now, "after": after, "salt": 43, "minutes": 30 * 24 * 60,
         "count": max(1, int(count * FAILED_MESSAGES_PER_CUSTOMER)), "state": "failed",
         "attempts": 5, "retried": 150,
         "reason": "Der Mailserver ist nicht erreichbar (nach 5 Versuchen aufgegeben)"},
    )  # fmt: skip
    cursor.execute(FILL_LAST_FITTINGS)
    cursor.execute(FILL_WEARS_CORRECTION)


# --- Orders (issue 28) ---------------------------------------------------------
#
# A version of its own, as the messaging data's: a database loaded before
# the orders app gets them added by orders_top_up(). Every value is drawn
# from a hash of the order's slot (or id), in SQL, so two million orders
# and their six million positions are two INSERT … SELECT statements.
ORDERS_DATA_VERSION = 1
ORDERS_TABLES = ("orders_order", "orders_orderline")
ORDERS_PER_CUSTOMER = 2  # 2,000,000 at a million customers, over five years
ORDER_YEARS_DAYS = 5 * 365 + 1
# The measured customer's orders: more than the customer page shows (20).
DETAIL_ORDERS = 24
DETAIL_ORDER_EVERY_DAYS = 75
# Per mille of the orders: quotes not taken up (most of them old: a quote
# leaves the board after 90 days), cancelled ones. Orders of the last
# OPEN_DAYS days are still open in proportion to their age (all of
# today's, none of a week ago), 5 per mille of the next three weeks'
# still wait for lenses (overdue), 3 per mille of the last two months'
# came back as complaints; all others are picked up. At a million
# customers that is some 4,000 open orders on the board besides about
# 3,900 quotes of the last 90 days: a chain of 40 shops.
QUOTE_PER_MILLE = 40
CANCELLED_PER_MILLE = 50
OPEN_DAYS = 7
STRAGGLER_PER_MILLE = 5
COMPLAINT_PER_MILLE = 3
# (kind, per cent of the orders)
ORDER_KINDS = (("glasses", 80), ("contact_lenses", 15), ("repair", 5))


def _h(value: str, salt: int, modulus: int) -> str:
    """0 … modulus − 1 from a hash of ``value`` (an SQL expression)."""
    return f"mod(hashint8extended({value}, {salt}) & 2147483647, {modulus})"


# The right eye's sphere, −8 … +6 in quarters; the left one within ±0.5 of it.
_RIGHT_SPHERE = f"(({_h('g', 61, 57)} - 32) * 0.25)"
_LEFT_SPHERE = f"({_RIGHT_SPHERE} + ({_h('g', 65, 5)} - 2) * 0.25)"


def _eye_json(salt: int, sphere: str) -> str:
    """One eye of an order's copy of a refraction (orders.services.snapshot:
    decimals as text): a cylinder for 60 %, an addition (both eyes) for 40 %."""
    return f"""jsonb_build_object(
        'sphere', {sphere}::text,
        'cylinder', CASE WHEN {_h("g", salt + 1, 10)} < 6
            THEN (-(1 + {_h("g", salt + 2, 12)}) * 0.25)::text END,
        'axis', CASE WHEN {_h("g", salt + 1, 10)} < 6 THEN 1 + {_h("g", salt + 3, 180)} END,
        'addition', CASE WHEN {_h("g", 69, 10)} < 4 THEN ((3 + {_h("g", 70, 10)}) * 0.25)::text END
    )"""


_OPEN_BY_AGE = (
    "(ARRAY['ordered', 'lenses_ordered', 'lenses_arrived', 'workshop', 'ready'])"
    "[1 + least(4, age * 5 / 7 + mod(s3, 2))]"
)
ADD_ORDERS = f"""
    WITH pool AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers_customer
        WHERE id > %(after)s AND deleted_at IS NULL AND id <> %(detail)s
    ), sized AS (
        SELECT greatest(count(*), 1) AS total FROM pool
    ), slots AS (
        SELECT g, p.id AS customer_id, {_h("g", 52, ORDER_YEARS_DAYS)}::int AS age
        FROM generate_series(1, %(count)s) AS g
        JOIN pool p ON p.n = 1 + {_h("g", 51, "(SELECT total FROM sized)")}
        UNION ALL
        SELECT %(count)s + k, %(detail)s, k * {DETAIL_ORDER_EVERY_DAYS}
        FROM generate_series(0, %(detail_orders)s - 1) AS k
    ), drawn AS (
        SELECT g, customer_id, age,
            CASE WHEN {_h("g", 53, 100)} < {ORDER_KINDS[0][1]} THEN 'glasses'
                 WHEN {_h("g", 53, 100)} < {ORDER_KINDS[0][1] + ORDER_KINDS[1][1]}
                 THEN 'contact_lenses'
                 ELSE 'repair' END AS kind,
            {_h("g", 54, 1000)} AS s, {_h("g", 55, 1000)} AS s2, {_h("g", 56, 1000)} AS s3,
            least(
                ((%(today)s::date - age)
                 + make_interval(hours => 9, mins => {_h("g", 57, 540)}::int))
                AT TIME ZONE 'Europe/Berlin',
                %(now)s - make_interval(mins => 5 + {_h("g", 57, 60)}::int)
            ) AS created,
            3 + {_h("g", 58, 8)}::int AS lead
        FROM slots
    ), decided AS (
        SELECT d.*,
            CASE
                WHEN s < {QUOTE_PER_MILLE} AND kind <> 'repair' THEN 'quote'
                WHEN s < {QUOTE_PER_MILLE + CANCELLED_PER_MILLE} THEN 'cancelled'
                WHEN age < {OPEN_DAYS} AND s2 < ({OPEN_DAYS} - age) * 1000 / {OPEN_DAYS}
                THEN {_OPEN_BY_AGE}
                WHEN age < 30 AND s2 < {STRAGGLER_PER_MILLE} THEN 'lenses_ordered'
                WHEN age < 60 AND s2 >= 1000 - {COMPLAINT_PER_MILLE} THEN 'complaint'
                ELSE 'picked_up'
            END AS drawn_status
        FROM drawn d
    ), shaped AS (
        -- The steps an order of its kind takes (orders.rules.SKIPPED).
        SELECT d.*,
            CASE
                WHEN kind = 'repair' AND drawn_status IN ('lenses_ordered', 'lenses_arrived')
                THEN 'workshop'
                WHEN kind = 'contact_lenses' AND drawn_status = 'workshop' THEN 'lenses_arrived'
                ELSE drawn_status
            END AS status
        FROM decided d
    ), timed AS (
        SELECT s.*,
            CASE status
                WHEN 'quote' THEN created
                WHEN 'picked_up' THEN least(
                    %(now)s - interval '1 minute',
                    created + make_interval(days => lead, hours => mod(s3, 48)::int)
                )
                WHEN 'cancelled' THEN least(
                    %(now)s - interval '1 minute',
                    created + make_interval(hours => 1 + mod(s3, 72)::int)
                )
                WHEN 'complaint' THEN created + (%(now)s - created) * 0.8
                ELSE created + (%(now)s - created) * (0.2 + s3 * 0.0007)
            END AS changed,
            (created AT TIME ZONE 'Europe/Berlin')::date AS day
        FROM shaped s
    )
    INSERT INTO orders_order (
        created_at, updated_at, kind, status, promised_date, prescription, own_frame,
        deposit, notes, status_reason, status_changed_at, version,
        right_pd, right_fitting_height, right_vertex_distance,
        left_pd, left_fitting_height, left_vertex_distance,
        customer_id, frame_id, staff_id, insurance_number, item, lab_pays_remake,
        plausibility_reason, reorder_due, work
    )
    SELECT created, changed, kind, status,
        CASE WHEN status <> 'quote' THEN day + lead END,
        CASE WHEN kind = 'glasses' THEN jsonb_build_object(
            'kind', 'subjective', 'date', (day - mod(s3, 30)::int)::text, 'prescriber', '',
            'vertex_distance', '12.0', 'right', {_eye_json(61, _RIGHT_SPHERE)},
            'left', {_eye_json(65, _LEFT_SPHERE)}
        ) ELSE '{{}}'::jsonb END,
        '',
        CASE WHEN kind = 'glasses' AND s3 < 300 THEN 50 ELSE 0 END,
        '',
        CASE status
            WHEN 'cancelled' THEN (ARRAY[
                'Kunde hat storniert', 'Andere Fassung gewünscht', 'Preis zu hoch'
            ])[1 + mod(s3, 3)]
            WHEN 'complaint' THEN (ARRAY[
                'Gläser verkratzt', 'Unverträglichkeit Gleitsicht', 'Fassung gebrochen'
            ])[1 + mod(s3, 3)]
            ELSE ''
        END,
        changed, 1,
        CASE WHEN kind = 'glasses' THEN 29 + {_h("g", 71, 60)} * 0.1 END,
        CASE WHEN kind = 'glasses' THEN 18 + {_h("g", 72, 8)} END,
        CASE WHEN kind = 'glasses' THEN 12 END,
        CASE WHEN kind = 'glasses' THEN 29 + {_h("g", 71, 60)} * 0.1 + (mod(s3, 5) - 2) * 0.5 END,
        CASE WHEN kind = 'glasses' THEN 18 + {_h("g", 72, 8)} END,
        CASE WHEN kind = 'glasses' THEN 12 END,
        customer_id,
        CASE WHEN kind = 'glasses' THEN (%(frames)s::bigint[])[
            1 + {_h("g", 73, "nullif(cardinality(%(frames)s::bigint[]), 0)")}
        ] END,
        (%(staff)s::int[])[1 + {_h("g", 74, "nullif(cardinality(%(staff)s::int[]), 0)")}],
        '',
        CASE WHEN kind = 'repair'
            THEN (ARRAY['Brille (Kundeneigentum)', 'Sonnenbrille (Kundeneigentum)'])[
                1 + mod(s3, 2)]
            ELSE '' END,
        false, '',
        CASE WHEN kind = 'contact_lenses' AND status NOT IN ('quote', 'cancelled')
            THEN day + CASE WHEN mod(s3, 2) = 0 THEN 90 ELSE 180 END END,
        CASE WHEN kind = 'repair'
            THEN (ARRAY[
                'Bügel ersetzen', 'Scharnier reparieren', 'Nasenpads tauschen', 'Fassung richten'
            ])[1 + mod(s3, 4)]
            ELSE '' END
    FROM timed
    -- Numbered as a shop numbers them, oldest first (and the same way
    -- whatever plan the join took).
    ORDER BY created, g
"""
# Each order's positions: glasses a frame, a lens per eye and for a third
# of them a service; contact lenses a box per eye and for half of them a
# care product; a repair the work and a part. Products from the loaded
# ones of the category, at their sale price and VAT rate; a tenth of the
# positions 10 % off, a fiftieth 5 € off, each with its reason.
# The order's number within the load (from 0): the same positions for the
# same orders whatever ids the table hands out.
_KEY = "(o.id - %(first)s)"
_LINE_COUNT = f"""CASE o.kind
    WHEN 'glasses' THEN 3 + ({_h(_KEY, 81, 3)} = 0)::int
    WHEN 'contact_lenses' THEN 2 + {_h(_KEY, 82, 2)}::int
    ELSE 2 END"""


def _pick(array: str, salt: int) -> str:
    return f"({array})[1 + {_h(_KEY, salt, f'nullif(cardinality({array}), 0)')}]"


ADD_ORDER_LINES = f"""
    WITH listed AS (
        SELECT category, array_agg(id ORDER BY id) AS ids
        FROM products_product WHERE active GROUP BY category
    ), lists AS (
        SELECT
            coalesce((SELECT ids FROM listed WHERE category = 'spectacle_lens'), '{{}}') AS lenses,
            coalesce((SELECT ids FROM listed WHERE category = 'contact_lens'), '{{}}') AS contacts,
            coalesce((SELECT ids FROM listed WHERE category = 'care'), '{{}}') AS cares,
            coalesce((SELECT ids FROM listed WHERE category = 'accessory'), '{{}}') AS parts
    ), planned AS (
        SELECT o.id AS order_id, p AS position,
            {_h(f"{_KEY} * 8 + p", 83, 1000)} AS d,
            CASE o.kind
                WHEN 'glasses' THEN (ARRAY['frame', 'lens', 'lens', 'service'])[p]
                WHEN 'contact_lenses' THEN (ARRAY['contact_lens', 'contact_lens', 'product'])[p]
                ELSE (ARRAY['service', 'product'])[p]
            END AS kind,
            CASE WHEN o.kind <> 'repair' THEN (ARRAY['', 'right', 'left', ''])[
                CASE WHEN o.kind = 'glasses' THEN p ELSE p + 1 END] ELSE '' END AS eye,
            CASE o.kind
                WHEN 'glasses' THEN (ARRAY[
                    o.frame_id, {_pick("lists.lenses", 84)}, {_pick("lists.lenses", 84)}, NULL
                ])[p]
                WHEN 'contact_lenses' THEN (ARRAY[
                    {_pick("lists.contacts", 85)}, {_pick("lists.contacts", 85)},
                    {_pick("lists.cares", 86)}
                ])[p]
                ELSE (ARRAY[NULL, {_pick("lists.parts", 87)}])[p]
            END AS product_ref,
            CASE
                WHEN o.kind = 'glasses' AND p = 4 THEN (ARRAY[
                    'Entspiegelung', 'Hartschicht', 'Zentrierung und Anpassung'
                ])[1 + {_h(_KEY, 88, 3)}]
                WHEN o.kind = 'repair' AND p = 1 THEN 'Reparatur: ' || o.work
                WHEN o.kind = 'glasses' AND p = 1 THEN 'Fassung'
                WHEN o.kind = 'glasses' THEN 'Brillenglas'
                ELSE 'Artikel'
            END AS fallback,
            CASE
                WHEN o.kind = 'glasses' AND p = 4 THEN 29 + 10 * {_h(_KEY, 88, 3)}
                WHEN o.kind = 'repair' AND p = 1 THEN 15 + 5 * {_h(_KEY, 89, 7)}
                ELSE 100
            END AS price,
            CASE WHEN o.kind = 'contact_lenses' AND p < 3 THEN 2 ELSE 1 END AS quantity,
            CASE WHEN o.kind = 'glasses' AND p IN (2, 3)
                THEN 65 + 5 * {_h(_KEY, 90, 3)}::int END AS diameter,
            CASE WHEN o.kind = 'contact_lenses' THEN 90 END AS supply_days
        FROM orders_order o CROSS JOIN lists
        CROSS JOIN LATERAL generate_series(1, {_LINE_COUNT}) AS p
        WHERE o.id >= %(first)s
    )
    INSERT INTO orders_orderline (
        order_id, position, kind, eye, product_id, description, quantity, unit_price,
        discount_percent, discount_amount, discount_reason, vat_rate, diameter, supply_days
    )
    SELECT l.order_id, l.position, l.kind, l.eye, pr.id, coalesce(pr.name, l.fallback),
        l.quantity, coalesce(pr.sale_price, l.price),
        CASE WHEN l.d < 100 THEN 10 END,
        CASE WHEN l.d >= 100 AND l.d < 120 THEN 5 END,
        CASE WHEN l.d < 100 THEN 'Stammkundenrabatt' WHEN l.d < 120 THEN 'Aktion' ELSE '' END,
        coalesce(pr.vat_rate, 19), l.diameter, l.supply_days
    FROM planned l LEFT JOIN products_product pr ON pr.id = l.product_ref
"""


# The customers' contact lens reorder dates as the trigger of orders
# migration 0004 keeps them (orders_top_up replaces the orders a customer
# had): every date of the loaded customers cleared, then set from the orders
# grouped once. Neither statement probes the orders per customer: the load
# has no statistics of the tables it has just filled, and the planner nested
# such probes (a join of every customer to the grouped orders: ten minutes
# for 50,000 customers; a NOT EXISTS per dated customer: five for 40,000).
FILL_CL_REORDER_DUE = (
    """
    UPDATE customers_customer SET cl_reorder_due = NULL
    WHERE id > %(after)s AND cl_reorder_due IS NOT NULL
    """,
    """
    UPDATE customers_customer c SET cl_reorder_due = due.date
    FROM (
        SELECT customer_id, max(reorder_due) AS date FROM orders_order
        WHERE kind = 'contact_lenses' AND status <> 'cancelled' AND reorder_due IS NOT NULL
          AND customer_id > %(after)s
        GROUP BY customer_id
    ) due
    WHERE c.id = due.customer_id
    """,
)


def _add_orders(cursor, *, after: int, staff_ids: list[int], now, count: int, detail: int) -> None:
    """``count`` orders of the customers with ids above ``after`` (``DETAIL_ORDERS``
    of them the measured customer's, ``detail``) and their positions, and
    those customers' contact lens reorder dates (FILL_CL_REORDER_DUE); in
    the caller's transaction, triggers off (no history, no foreign-key
    checks: the ids come from the tables)."""
    before = _max_id(cursor, "orders_order")
    detail_orders = min(DETAIL_ORDERS, count) if detail else 0
    cursor.execute(
        "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM products_product "
        "WHERE category = 'frame' AND active"
    )
    frames = cursor.fetchone()[0]
    # Two million rows joined with a million customers: hash joins in memory.
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute(
        ADD_ORDERS,
        {
            "after": after, "detail": detail or 0, "count": count - detail_orders,
            "detail_orders": detail_orders, "today": timezone.localdate(now), "now": now,
            "frames": frames, "staff": staff_ids,
        },
    )  # fmt: skip
    cursor.execute("SELECT min(id) FROM orders_order WHERE id > %s", [before])
    cursor.execute(ADD_ORDER_LINES, {"first": cursor.fetchone()[0] or before + 1})
    # The trigger that keeps each customer's reorder date is off for the load.
    cursor.execute("ANALYZE orders_order")
    for statement in FILL_CL_REORDER_DUE:
        cursor.execute(statement, {"after": after})
    cursor.execute("SET LOCAL work_mem = DEFAULT")


INVOICES_DATA_VERSION = 1
INVOICES_TABLES = ("invoices_invoice", "invoices_invoiceline", "invoices_payment")
# Five years of 40 shops: every order picked up has its invoice, the rest
# are sales at the counter (care products, accessories, sunglasses), a
# fifth of them for a named customer: 5,000,000 at a million customers.
INVOICES_PER_CUSTOMER = 5
# Per mille of the invoices: cancelled (a cancellation invoice a few days
# later); of those older than a fortnight still open, as reminders find
# them; of the last fortnight's paid at the counter (the rest by transfer).
INVOICE_CANCELLED_PER_MILLE = 5
INVOICE_OVERDUE_PER_MILLE = 2
INVOICE_PAID_AT_ONCE_PER_MILLE = 700
INVOICE_DUE_DAYS = 14
_CART = "(ARRAY['care', 'care', 'care', 'accessory', 'sunglasses'])"


# What a counter sale holds, from its number alone (year and sequence):
# one or two positions, each a product of its category, one or two pieces
# of a care product; the invoice's gross is computed from the same draws
# as the positions are written (ADD_SALE_LINES).
def _sale_draw(key: str, salt: int, modulus) -> str:
    return _h(f"({key})", salt, modulus)


def _sequence(column: str) -> str:
    """The number's sequence as invoices.services.invoice_number writes it:
    six digits at least (a chain's year passes a million)."""
    return f"lpad({column}::text, greatest(6, length({column}::text)), '0')"


_SALE_KEY = "n.year::bigint * 10000000 + n.sequence"
_LINE_KEY = "(i.year::bigint * 10000000 + i.sequence) * 4 + p"
_SALE_LINE = f"({_SALE_KEY}) * 4 + p"
_STAFF_COUNT = "nullif(cardinality(%(staff)s::int[]), 0)"

ADD_INVOICES = f"""
    WITH listed AS (
        SELECT category, array_agg(sale_price ORDER BY id) AS prices
        FROM products_product
        WHERE active AND category IN ('care', 'accessory', 'sunglasses')
        GROUP BY category
    ), lists AS (
        SELECT
            (SELECT prices FROM listed WHERE category = 'care') AS care_prices,
            (SELECT prices FROM listed WHERE category = 'accessory') AS accessory_prices,
            (SELECT prices FROM listed WHERE category = 'sunglasses') AS sunglasses_prices
    ), pool AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers_customer
        WHERE id > %(after)s AND deleted_at IS NULL
    ), sized AS (
        SELECT greatest(count(*), 1) AS total FROM pool
    ), sales AS (
        SELECT g, {_h("g", 101, ORDER_YEARS_DAYS)}::int AS age,
            CASE WHEN {_h("g", 102, 5)} = 0 THEN 1 + {_h("g", 103, "(SELECT total FROM sized)")}
            END AS pick
        FROM generate_series(1, %(sales)s) AS g
    ), src AS (
        SELECT o.id AS order_id, o.customer_id, o.staff_id,
            o.status_changed_at AS at, o.deposit, o.id::bigint AS k
        FROM orders_order o WHERE o.status = 'picked_up' AND o.id > %(orders_after)s
        UNION ALL
        SELECT NULL, p.id, NULL,
            least(
                ((%(today)s::date - s.age)
                 + make_interval(hours => 9, mins => {_h("s.g", 104, 540)}::int))
                AT TIME ZONE 'Europe/Berlin',
                %(now)s - make_interval(mins => 5 + {_h("s.g", 104, 60)}::int)
            ), 0, -s.g
        FROM sales s LEFT JOIN pool p ON p.n = s.pick
    ), dated AS (
        SELECT src.*, (at AT TIME ZONE 'Europe/Berlin')::date AS day FROM src
    ), numbered AS (
        SELECT d.*, extract(year FROM day)::int AS year,
            row_number() OVER (PARTITION BY extract(year FROM day) ORDER BY at, k) AS sequence
        FROM dated d
    ), totals AS (
        SELECT l.order_id, sum(
            round(l.quantity * l.unit_price, 2) - least(
                coalesce(round(round(l.quantity * l.unit_price, 2) * l.discount_percent / 100, 2),
                         l.discount_amount, 0),
                round(l.quantity * l.unit_price, 2))
        ) AS gross
        FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
        WHERE o.status = 'picked_up' AND o.id > %(orders_after)s
        GROUP BY l.order_id
    )
    INSERT INTO invoices_invoice (
        created_at, updated_at, kind, status, number, year, sequence, customer_id, order_id,
        cancels_id, reason, issued_on, delivered_on, customer_name, customer_address,
        shop_name, shop_address, shop_tax_number, shop_vat_id, insurer_share, gross,
        created_by_id, version
    )
    SELECT n.at, n.at, 'invoice', 'issued',
        %(prefix)s || n.year || '-' || {_sequence("n.sequence")}, n.year, n.sequence,
        n.customer_id, n.order_id, NULL, '', n.day, n.day,
        coalesce(concat_ws(' ', nullif(c.first_name, ''), c.last_name), ''),
        coalesce(concat_ws(E'\n', nullif(c.street, ''),
            nullif(concat_ws(' ', nullif(c.postcode, ''), nullif(c.town, '')), '')), ''),
        %(shop_name)s, %(shop_address)s, %(tax_number)s, %(vat_id)s, 0,
        CASE WHEN n.order_id IS NOT NULL THEN coalesce(t.gross, 0) ELSE
            (SELECT sum(
                (CASE {_CART}[1 + {_sale_draw(_SALE_LINE, 106, 5)}]
                    WHEN 'care' THEN l.care_prices[
                        1 + {_sale_draw(_SALE_LINE, 108, "cardinality(l.care_prices)")}]
                        * (1 + {_sale_draw(_SALE_LINE, 107, 2)})
                    WHEN 'accessory' THEN l.accessory_prices[
                        1 + {_sale_draw(_SALE_LINE, 108, "cardinality(l.accessory_prices)")}]
                    ELSE l.sunglasses_prices[
                        1 + {_sale_draw(_SALE_LINE, 108, "cardinality(l.sunglasses_prices)")}]
                END))
             FROM generate_series(1, 1 + {_sale_draw(_SALE_KEY, 105, 2)}) AS p)
        END,
        coalesce(n.staff_id, (%(staff)s::int[])[1 + {_h("n.k", 109, _STAFF_COUNT)}]),
        1
    FROM numbered n
    CROSS JOIN lists l
    LEFT JOIN customers_customer c ON c.id = n.customer_id
    LEFT JOIN totals t ON t.order_id = n.order_id
    ORDER BY n.at, n.k
"""
ADD_ORDER_INVOICE_LINES = """
    INSERT INTO invoices_invoiceline (
        invoice_id, position, product_id, description, quantity, unit_price,
        discount_percent, discount_amount, discount_reason, vat_rate
    )
    SELECT i.id, l.position, l.product_id, l.description, l.quantity, l.unit_price,
        l.discount_percent, l.discount_amount, l.discount_reason, l.vat_rate
    FROM invoices_invoice i JOIN orders_orderline l ON l.order_id = i.order_id
    WHERE i.id > %(before)s AND i.order_id IS NOT NULL
"""
ADD_SALE_LINES = f"""
    WITH listed AS (
        SELECT category, array_agg(id ORDER BY id) AS ids
        FROM products_product
        WHERE active AND category IN ('care', 'accessory', 'sunglasses')
        GROUP BY category
    ), lists AS (
        SELECT
            (SELECT ids FROM listed WHERE category = 'care') AS cares,
            (SELECT ids FROM listed WHERE category = 'accessory') AS accessories,
            (SELECT ids FROM listed WHERE category = 'sunglasses') AS sunglasses
    ), planned AS (
        SELECT i.id AS invoice_id, p AS position,
            CASE {_CART}[1 + {_sale_draw(_LINE_KEY, 106, 5)}]
                WHEN 'care' THEN l.cares[1 + {_sale_draw(_LINE_KEY, 108, "cardinality(l.cares)")}]
                WHEN 'accessory' THEN l.accessories[
                    1 + {_sale_draw(_LINE_KEY, 108, "cardinality(l.accessories)")}]
                ELSE l.sunglasses[1 + {_sale_draw(_LINE_KEY, 108, "cardinality(l.sunglasses)")}]
            END AS product_id,
            {_sale_draw(_LINE_KEY, 107, 2)} AS extra
        FROM invoices_invoice i CROSS JOIN lists l
        CROSS JOIN LATERAL generate_series(
            1, 1 + {_sale_draw("i.year::bigint * 10000000 + i.sequence", 105, 2)}) AS p
        WHERE i.id > %(before)s AND i.order_id IS NULL AND i.kind = 'invoice'
    )
    INSERT INTO invoices_invoiceline (
        invoice_id, position, product_id, description, quantity, unit_price,
        discount_percent, discount_amount, discount_reason, vat_rate
    )
    SELECT l.invoice_id, l.position, pr.id, pr.name,
        CASE WHEN pr.category = 'care' THEN 1 + l.extra ELSE 1 END,
        pr.sale_price, NULL, NULL, '', pr.vat_rate
    FROM planned l JOIN products_product pr ON pr.id = l.product_id
"""
# A few invoices cancelled some days later: the cancellation numbered
# after the year's invoices (its own number, gap-free), the positions and
# the gross negated.
ADD_CANCELLATIONS = f"""
    WITH chosen AS (
        SELECT i.*, least(i.issued_on + 1 + {_h("i.id", 111, 10)}::int, %(today)s::date) AS on_day
        FROM invoices_invoice i
        WHERE i.id > %(before)s AND i.kind = 'invoice'
          AND {_h("i.id", 110, 1000)} < {INVOICE_CANCELLED_PER_MILLE}
    ), numbered AS (
        SELECT c.*, extract(year FROM on_day)::int AS c_year,
            coalesce((SELECT max(sequence) FROM invoices_invoice x
                      WHERE x.year = extract(year FROM on_day)::int), 0)
            + row_number() OVER (PARTITION BY extract(year FROM on_day) ORDER BY on_day, id)
            AS c_sequence
        FROM chosen c
    )
    INSERT INTO invoices_invoice (
        created_at, updated_at, kind, status, number, year, sequence, customer_id, order_id,
        cancels_id, reason, issued_on, delivered_on, customer_name, customer_address,
        shop_name, shop_address, shop_tax_number, shop_vat_id, insurer_share, gross,
        created_by_id, version
    )
    SELECT (on_day + time '17:00') AT TIME ZONE 'Europe/Berlin',
        (on_day + time '17:00') AT TIME ZONE 'Europe/Berlin', 'cancellation', 'issued',
        %(prefix)s || c_year || '-' || {_sequence("c_sequence")}, c_year, c_sequence,
        customer_id, order_id, id,
        (ARRAY['Falscher Preis', 'Umtausch', 'Adresse falsch'])[1 + {_h("id", 112, 3)}],
        on_day, delivered_on, customer_name, customer_address, shop_name, shop_address,
        shop_tax_number, shop_vat_id, -insurer_share, -gross, created_by_id, 1
    FROM numbered
"""
ADD_CANCELLATION_LINES = """
    INSERT INTO invoices_invoiceline (
        invoice_id, position, product_id, description, quantity, unit_price,
        discount_percent, discount_amount, discount_reason, vat_rate
    )
    SELECT c.id, l.position, l.product_id, l.description, -l.quantity, l.unit_price,
        l.discount_percent, l.discount_amount, l.discount_reason, l.vat_rate
    FROM invoices_invoice c JOIN invoices_invoiceline l ON l.invoice_id = c.cancels_id
    WHERE c.id > %(before)s AND c.kind = 'cancellation'
"""
# The order's deposit set off, then the rest paid: at the counter the day of
# the invoice (cash with the till's receipt number, EC or credit card) or by
# transfer within the fortnight; some older ones still open (overdue), and
# of the last fortnight's those not paid at once.
ADD_PAYMENTS = f"""
    WITH due AS (
        SELECT i.id, i.issued_on, i.created_by_id, i.gross, i.order_id,
            least(coalesce(o.deposit, 0), i.gross) AS deposit,
            (o.created_at AT TIME ZONE 'Europe/Berlin')::date AS ordered_on,
            {_h("i.id", 113, 1000)} AS d, {_h("i.id", 114, 100)} AS m
        FROM invoices_invoice i LEFT JOIN orders_order o ON o.id = i.order_id
        WHERE i.id > %(before)s AND i.kind = 'invoice'
    ), rows AS (
        SELECT id, 'deposit' AS method, deposit AS amount, ordered_on AS paid_on, '' AS receipt,
            'Anzahlung zu Auftrag ' || order_id AS note, created_by_id
        FROM due WHERE deposit > 0
        UNION ALL
        SELECT id,
            CASE WHEN m < 35 THEN 'cash' WHEN m < 80 THEN 'ec' WHEN m < 90 THEN 'credit_card'
                 ELSE 'transfer' END,
            gross - deposit,
            CASE WHEN m >= 90 THEN least(issued_on + 1 + mod(m, 12)::int, %(today)s::date)
                 ELSE issued_on END,
            CASE WHEN m < 35 THEN 'K-' || id ELSE '' END, '', created_by_id
        FROM due
        WHERE gross - deposit > 0 AND CASE
            WHEN issued_on > %(today)s::date - {INVOICE_DUE_DAYS}
            THEN d < {INVOICE_PAID_AT_ONCE_PER_MILLE}
            ELSE d >= {INVOICE_OVERDUE_PER_MILLE} END
    )
    INSERT INTO invoices_payment (
        invoice_id, method, amount, paid_on, receipt_number, note, created_by_id, created_at
    )
    SELECT id, method, amount, paid_on, receipt, note, created_by_id,
        (paid_on + time '12:00') AT TIME ZONE 'Europe/Berlin'
    FROM rows
"""
# What migration 0007's triggers keep, for the rows loaded past them.
FILL_UNSETTLED = """
    INSERT INTO invoices_unsettled (
        invoice_id, paid, customer_open, insurer_open, created_at, issued_on
    )
    SELECT i.id, coalesce(p.total, 0),
        i.gross - i.insurer_share - (coalesce(p.total, 0) - coalesce(p.insurer, 0)),
        i.insurer_share - coalesce(p.insurer, 0), i.created_at, i.issued_on
    FROM invoices_invoice i
    LEFT JOIN (
        SELECT invoice_id, sum(amount) AS total,
            sum(amount) FILTER (WHERE method = 'insurer') AS insurer
        FROM invoices_payment
        WHERE invoice_id > %(before)s GROUP BY invoice_id
    ) p ON p.invoice_id = i.id
    WHERE i.id > %(before)s AND i.status = 'issued' AND i.kind = 'invoice'
      AND coalesce(p.total, 0) < i.gross
      AND NOT EXISTS (SELECT 1 FROM invoices_invoice c WHERE c.cancels_id = i.id)
"""
SET_INVOICE_COUNTERS = """
    INSERT INTO invoices_invoicecounter (year, last)
    SELECT year, max(sequence) FROM invoices_invoice WHERE year IS NOT NULL GROUP BY year
    ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last
"""


def _add_invoices(
    cursor, *, after: int, orders_after: int, staff_ids: list[int], now, count: int
) -> None:
    """An invoice for every order picked up (of the orders with ids above
    ``orders_after``), sales at the counter to make ``count`` in all, a few
    cancelled, and their payments; each year's numbers gap-free and the
    counters where the load ends (the shop's next invoice follows on). In
    the caller's transaction, triggers off."""
    from django.conf import settings

    before = _max_id(cursor, "invoices_invoice")
    cursor.execute(
        "SELECT count(*) FROM orders_order WHERE status = 'picked_up' AND id > %s", [orders_after]
    )
    sales = max(count - cursor.fetchone()[0], 0)
    cursor.execute("SET LOCAL work_mem = '256MB'")
    shop = {
        "prefix": settings.INVOICE_NUMBER_PREFIX, "shop_name": "Augenoptik Kette GmbH",
        "shop_address": "Hauptstraße 1\n80331 München", "tax_number": "143/123/45678",
        "vat_id": "DE123456789",
    }  # fmt: skip
    cursor.execute(
        ADD_INVOICES,
        {
            **shop, "after": after, "orders_after": orders_after, "sales": sales,
            "today": timezone.localdate(now), "now": now, "staff": staff_ids,
        },
    )  # fmt: skip
    cursor.execute(ADD_ORDER_INVOICE_LINES, {"before": before})
    cursor.execute(ADD_SALE_LINES, {"before": before})
    cursor.execute("ANALYZE invoices_invoice")
    cursor.execute(ADD_CANCELLATIONS, {**shop, "before": before, "today": timezone.localdate(now)})
    cursor.execute(ADD_CANCELLATION_LINES, {"before": before})
    cursor.execute(ADD_PAYMENTS, {"before": before, "today": timezone.localdate(now)})
    cursor.execute(FILL_UNSETTLED, {"before": before})
    # What invoices migration 0012's triggers keep (the day report's sums).
    cursor.execute("SELECT invoices_day_add(%s, 9223372036854775807, 1)", [before + 1])
    # What reports migration 0002's trigger keeps, for the rows loaded past it.
    cursor.execute("SELECT reports_revenue_add(%s, 9223372036854775807)", [before + 1])
    # And what reports migration 0007's trigger keeps (the stock report's sales).
    cursor.execute("SELECT reports_product_sales_add(%s, 9223372036854775807)", [before + 1])
    cursor.execute(SET_INVOICE_COUNTERS)
    cursor.execute("SET LOCAL work_mem = DEFAULT")


def invoices_top_up(*, customers: int, now=None) -> dict[str, float]:
    """Add the invoices (INVOICES_DATA_VERSION) to a database loaded before
    the invoices app: INVOICES_PER_CUSTOMER per customer loaded, replacing
    what an earlier version or a run put there; indexes dropped for the load
    and built again, as orders_top_up does."""
    loaded = Loaded()
    now = now or timezone.now()
    staff_ids = _bench_staff_ids()
    tables = [
        *INVOICES_TABLES,
        "invoices_unsettled",
        "invoices_invoiceday",
        "invoices_invoicedayrate",
        "invoices_invoicedocument",
        "invoices_invoicecounter",
        "reports_revenueday",
        "reports_productsaleday",
        "reports_productsalemonth",
    ]
    events = ["invoices_paymentevent"]
    with connection.cursor() as cursor:
        with transaction.atomic():
            indexes = _secondary_indexes(cursor, list(INVOICES_TABLES))
            cursor.execute("SET LOCAL session_replication_role = replica")
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(f"TRUNCATE {', '.join([*tables, *events])} RESTART IDENTITY")
            _timed(loaded, "invoices", lambda: _add_invoices(
                cursor, after=0, orders_after=0, staff_ids=staff_ids, now=now,
                count=customers * INVOICES_PER_CUSTOMER,
            ))  # fmt: skip
            cursor.execute("SET LOCAL session_replication_role = origin")
            _timed(loaded, "invoices indexes", lambda: [cursor.execute(d) for _n, d in indexes])
        statistics = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        _timed(loaded, "invoices statistics", lambda: [
            cursor.execute(f"{statistics} {table}") for table in INVOICES_TABLES
        ])  # fmt: skip
    return loaded.seconds


def _bench_staff_ids() -> list[int]:
    return list(
        get_user_model()
        .objects.filter(username__regex=r"^bench-[0-9]+$")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def orders_top_up(*, customers: int, detail_customer_id: int, now=None) -> dict[str, float]:
    """Add the orders (ORDERS_DATA_VERSION) to a database loaded before the
    orders app: ORDERS_PER_CUSTOMER per customer loaded (``customers``, the
    marker's size; the orders go to the customers there are), replacing what an earlier
    version (or a benchmark run) put there. The tables' indexes are dropped
    for the load and built again, in one transaction; then VACUUM ANALYZE,
    as after a load (ANALYZE only inside a transaction)."""
    loaded = Loaded()
    now = now or timezone.now()
    staff_ids = _bench_staff_ids()
    events = ["orders_orderlineevent", "orders_orderevent"]
    # Invoices name their orders: the replaced orders take theirs along (the
    # benchmark's database is its own; TRUNCATE passes the invoices' guards).
    invoices = [
        "invoices_unsettled",
        "invoices_invoiceday",
        "invoices_invoicedayrate",
        "invoices_paymentevent",
        "invoices_payment",
        "invoices_invoicedocument",
        "invoices_invoiceline",
        "invoices_invoice",
        "invoices_invoicecounter",
    ]
    with connection.cursor() as cursor:
        with transaction.atomic():
            indexes = _secondary_indexes(cursor, list(ORDERS_TABLES))
            cursor.execute("SET LOCAL session_replication_role = replica")
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(
                f"TRUNCATE {', '.join([*ORDERS_TABLES, *events, *invoices])} RESTART IDENTITY"
            )
            count = customers * ORDERS_PER_CUSTOMER
            _timed(loaded, "orders", lambda: _add_orders(
                cursor, after=0, staff_ids=staff_ids, now=now, count=count,
                detail=detail_customer_id,
            ))  # fmt: skip
            cursor.execute("SET LOCAL session_replication_role = origin")
            _timed(loaded, "orders indexes", lambda: [cursor.execute(d) for _n, d in indexes])
        # VACUUM cannot run in the caller's transaction (tests); ANALYZE can.
        statistics = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        _timed(loaded, "orders statistics", lambda: [
            cursor.execute(f"{statistics} {table}") for table in ORDERS_TABLES
        ])  # fmt: skip
    return loaded.seconds


def _quarter(rng, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 4), int(high * 4))) / 4


def _refraction_row(rng, customer_id: int, examiner_id: int, day, now) -> tuple:
    eyes = []
    for _side in ("right", "left"):
        cylinder = _quarter(rng, -3, -0.25) if rng.random() < 0.6 else None
        axis = rng.randint(1, 180) if cylinder is not None else None
        addition = _quarter(rng, 0.75, 3) if rng.random() < 0.4 else None
        eyes.extend([_quarter(rng, -8, 6), cylinder, axis, addition])
    return (now, now, day, "subjective", "", "", "", customer_id, examiner_id, *eyes)


REFRACTION_COLUMNS = (
    "created_at, updated_at, date, kind, prescriber, binocular_notes, remarks, customer_id, "
    "examiner_id, right_sphere, right_cylinder, right_axis, right_addition, "
    "left_sphere, left_cylinder, left_axis, left_addition, right_prism_horizontal_base, "
    "right_prism_vertical_base, left_prism_horizontal_base, left_prism_vertical_base"
)


def _copy(cursor, table: str, columns: str, rows: Iterable[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _new_ids(cursor, table: str, after: int) -> list[int]:
    cursor.execute(f"SELECT id FROM {table} WHERE id > %s ORDER BY id", [after])  # noqa: S608
    return [row[0] for row in cursor.fetchall()]


def _max_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
    return cursor.fetchone()[0]


def _secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    """Indexes that back no constraint: dropped for the load, built after it."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [tables],
    )
    return cursor.fetchall()


def _timed(loaded: Loaded, name: str, step: Callable[[], None]) -> None:
    began = time.perf_counter()
    step()
    loaded.seconds[name] = round(time.perf_counter() - began, 2)


def load(sizes: Sizes, *, seed: int = 8, rebuild_indexes: bool = True) -> Loaded:
    """Load ``sizes`` worth of data into the current database (its reference
    data, insurers and appointment types, must be there: run migrate first).

    ``rebuild_indexes`` drops the secondary indexes for the load and builds
    them afterwards, in their own transactions; without it everything runs in
    the caller's transaction (tests)."""
    rng = random.Random(seed)
    loaded = Loaded()
    now = timezone.now()
    providers = dict(InsuranceProvider.objects.values_list("id", "name"))
    type_ids = list(AppointmentType.objects.values_list("id", flat=True))
    staff_count = max(8, sizes.appointments // APPOINTMENTS_PER_STAFF)
    user_model = get_user_model()
    taken = user_model.objects.filter(username__startswith="bench-").count()
    users = user_model.objects.bulk_create(
        user_model(
            username=f"bench-{taken + number}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            password="!",  # noqa: S106 (unusable: nobody signs in as these)
        )
        for number in range(staff_count)
    )
    staff_ids = [user.pk for user in users]
    # The day calendar shows eight columns: eight of them take appointments.
    StaffCalendar.objects.bulk_create(
        StaffCalendar(staff_id=staff_id, position=position)
        for position, staff_id in enumerate(staff_ids[:8])
    )
    loaded.calendar_staff_ids = staff_ids[:8]
    schedule = _schedule(sizes.appointments, staff_ids, loaded.calendar_staff_ids)
    days = [day for day, _staff in schedule]
    loaded.busiest_day = next((day for day in days if day >= timezone.localdate()), None)

    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor, TABLES) if rebuild_indexes else []
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            before = _max_id(cursor, "customers_customer")
            _timed(loaded, "customers", lambda: _copy(
                cursor, "customers_customer", CUSTOMER_COLUMNS,
                _customer_rows(
                    rng, sizes.customers, providers, now, addresses=random.Random(seed + 1)
                ),
            ))  # fmt: skip
            customer_ids = _new_ids(cursor, "customers_customer", before)
            _timed(loaded, "search words", lambda: cursor.execute(FILL_SEARCH_WORDS, [before]))
            _timed(loaded, "products", lambda: _copy(
                cursor, "products_product", PRODUCT_COLUMNS, _product_rows(rng, sizes.products, now)
            ))  # fmt: skip
            appointments = _appointment_rows(
                rng, sizes.appointments, customer_ids, type_ids, schedule, now
            )
            _timed(loaded, "appointments", lambda: _copy(
                cursor, "appointments_appointment", APPOINTMENT_COLUMNS, appointments
            ))  # fmt: skip
            detail = customer_ids[0]
            loaded.detail_customer_id = detail
            today = timezone.localdate()
            with_refraction = rng.sample(
                customer_ids[1:], int(len(customer_ids) * sizes.refraction_share)
            )
            refractions = [
                _refraction_row(
                    rng, customer_id, rng.choice(staff_ids),
                    today - datetime.timedelta(days=rng.randint(0, 5 * 365)), now,
                )
                for customer_id in with_refraction
            ] + [
                _refraction_row(
                    rng, detail, staff_ids[0], today - datetime.timedelta(days=120 * n), now
                )
                for n in range(sizes.detail_refractions)
            ]  # fmt: skip
            _timed(loaded, "refractions", lambda: _copy(
                cursor, "prescriptions_refraction", REFRACTION_COLUMNS,
                (row + ("", "", "", "") for row in refractions),
            ))  # fmt: skip
            # The measured customer's own appointments: at 18:00, after every
            # other slot; most of them past, a few to come.
            today = timezone.localdate()
            past = [day for day in days if day < today][-(sizes.detail_appointments * 4 // 5) :]
            own_days = (
                past
                + [day for day in days if day >= today][: sizes.detail_appointments - len(past)]
            )
            own = [
                (
                    now, now,
                    datetime.datetime.combine(day, datetime.time(18), tzinfo=BERLIN),
                    datetime.datetime.combine(day, datetime.time(18, 30), tzinfo=BERLIN),
                    "done" if day < today else "planned", "", 1, detail, staff_ids[0], type_ids[0],
                )
                for day in own_days
            ]  # fmt: skip
            _copy(cursor, "appointments_appointment", APPOINTMENT_COLUMNS, own)
            # The fills below join the tables just copied: without statistics
            # the planner nests their joins (minutes for 50,000 customers).
            _timed(loaded, "first statistics", lambda: cursor.execute(
                "ANALYZE customers_customer, appointments_appointment, prescriptions_refraction"
            ))  # fmt: skip
            # COPY skipped the trigger that keeps each customer's next appointment.
            _timed(loaded, "next appointments", lambda: cursor.execute(FILL_NEXT_APPOINTMENTS))
            # And the appointments report's summary (reports migration 0004).
            _timed(loaded, "appointment report", lambda: cursor.execute(
                "SELECT reports_appointment_fill()"
            ))  # fmt: skip
            _timed(loaded, "last refractions", lambda: cursor.execute(FILL_LAST_REFRACTIONS))
            _timed(loaded, "messaging", lambda: _add_messaging_data(
                cursor, after=before, staff_ids=staff_ids, now=now, count=sizes.customers
            ))  # fmt: skip
            orders_before = _max_id(cursor, "orders_order")
            _timed(loaded, "orders", lambda: _add_orders(
                cursor, after=before, staff_ids=staff_ids, now=now,
                count=sizes.customers * ORDERS_PER_CUSTOMER, detail=detail,
            ))  # fmt: skip
            _timed(loaded, "invoices", lambda: _add_invoices(
                cursor, after=before, orders_after=orders_before, staff_ids=staff_ids, now=now,
                count=sizes.customers * INVOICES_PER_CUSTOMER,
            ))  # fmt: skip
            _timed(loaded, "counts", lambda: cursor.execute(ADD_COUNTS, [before]))
            cursor.execute("SET LOCAL session_replication_role = origin")

        def build_indexes() -> None:
            for _name, definition in indexes:
                cursor.execute(definition)

        _timed(loaded, "indexes", build_indexes)
        # VACUUM also marks the pages all-visible, so that counts read only
        # the index, as on a database that has been in use; it cannot run in
        # the caller's transaction (tests), ANALYZE can.
        statistics = "VACUUM ANALYZE" if rebuild_indexes else "ANALYZE"
        _timed(loaded, "statistics", lambda: [cursor.execute(f"{statistics} {t}") for t in TABLES])
    return loaded


def top_up(*, now=None) -> dict[str, float]:
    """Add the messaging features' data (MESSAGING_DATA_VERSION) to a
    database loaded before them: what a reload would add, in a minute or two
    instead of many. Replaces what an earlier version added, so it may run
    again."""
    loaded = Loaded()
    now = now or timezone.now()
    staff_ids = _bench_staff_ids()
    tables = ["customers_customer", *MESSAGING_TABLES]
    with connection.cursor() as cursor, transaction.atomic():
        # Most customers' rows are written (has_consent): without their
        # indexes, then built again, as the load does, but in the same
        # transaction, so that an interrupted top-up leaves them as they were.
        indexes = _secondary_indexes(cursor, tables)
        cursor.execute("SET LOCAL session_replication_role = replica")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f"TRUNCATE {', '.join(MESSAGING_TABLES)}")
        cursor.execute(
            "UPDATE customers_customer SET last_fitting_date = NULL, has_consent = false "
            "WHERE last_fitting_date IS NOT NULL OR has_consent"
        )
        count = Customer.objects.count()
        _timed(loaded, "messaging", lambda: _add_messaging_data(
            cursor, after=0, staff_ids=staff_ids, now=now, count=count
        ))  # fmt: skip
        cursor.execute(RECOUNT_WITHOUT_CONSENT)
        cursor.execute("SET LOCAL session_replication_role = origin")
        _timed(loaded, "messaging indexes", lambda: [cursor.execute(d) for _n, d in indexes])
    return loaded.seconds


DOCUMENTS_DATA_VERSION = 1
# Customers with a long file of documents (issue 31: "a customer page with
# 50 documents"), spread over the loaded ones; the scenario asks for their
# documents section.
DOCUMENTS_CUSTOMERS = 20
DOCUMENTS_PER_CUSTOMER = 50
DOCUMENTS_TABLES = ("documents_customerdocumentevent", "documents_customerdocument")
# The rows only: the section reads rows (the thumbnails are the browser's
# next requests, made once and kept by it), so the keys name files that are
# not written. Every third a try-on photo naming a frame, every fifth a
# prescription, one in ten deleted (the section lists those it can restore).
ADD_DOCUMENTS = """
INSERT INTO documents_customerdocument (
    created_at, updated_at, customer_id, kind, document_date, note, file, thumbnail,
    original_name, content_type, size, refraction_id, product_id, thumbnail_pending,
    uploaded_by_id, deleted_at)
SELECT %(now)s, %(now)s, c.id,
    CASE WHEN n %% 3 = 0 THEN 'frame_photo' WHEN n %% 5 = 0 THEN 'prescription'
         WHEN n %% 2 = 0 THEN 'consent' ELSE 'other' END,
    %(today)s::date - n * 20,
    CASE WHEN n %% 4 = 0 THEN 'Kundin unsicher, zweite Meinung' ELSE '' END,
    'bench/' || c.id || '-' || n || CASE WHEN n %% 3 = 0 THEN '.jpg' ELSE '.pdf' END,
    'bench/' || c.id || '-' || n || '-thumb.jpg',
    CASE WHEN n %% 3 = 0 THEN 'Anprobe ' || n || '.jpg' ELSE 'Scan ' || n || '.pdf' END,
    CASE WHEN n %% 3 = 0 THEN 'image/jpeg' ELSE 'application/pdf' END,
    150000 + n * 1000,
    NULL,
    CASE WHEN n %% 3 = 0 AND cardinality(%(frames)s::bigint[]) > 0
         THEN (%(frames)s::bigint[])[1 + (c.id + n) %% cardinality(%(frames)s::bigint[])] END,
    false,
    (%(staff)s::bigint[])[1 + n %% greatest(cardinality(%(staff)s::bigint[]), 1)],
    CASE WHEN n %% 10 = 7 THEN %(now)s - interval '3 days' END
FROM unnest(%(customers)s::bigint[]) AS c(id), generate_series(1, %(per)s) AS n
"""


def documents_customer_ids(count: int = DOCUMENTS_CUSTOMERS) -> list[int]:
    """``count`` customers spread over the loaded ones, not deleted."""
    ids = list(
        Customer.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return []
    step = max(1, len(ids) // count)
    return ids[::step][:count]


def documents_top_up(*, now=None) -> tuple[dict[str, float], list[int]]:
    """The documents (DOCUMENTS_DATA_VERSION): DOCUMENTS_PER_CUSTOMER rows
    for each of DOCUMENTS_CUSTOMERS customers, replacing what was there.
    Returns the seconds taken and the customers."""
    from products.models import Product

    loaded = Loaded()
    now = now or timezone.now()
    customers = documents_customer_ids()
    frames = list(
        Product.objects.filter(category=Category.FRAME, active=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    staff_ids = _bench_staff_ids() or [None]
    with connection.cursor() as cursor:
        with transaction.atomic():
            # No history rows for a load (as the other tables' loads).
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f"TRUNCATE {', '.join(DOCUMENTS_TABLES)} RESTART IDENTITY")
            _timed(loaded, "documents", lambda: cursor.execute(ADD_DOCUMENTS, {
                "now": now, "today": timezone.localdate(now), "customers": customers,
                "per": DOCUMENTS_PER_CUSTOMER, "frames": frames, "staff": staff_ids,
            }))  # fmt: skip
            cursor.execute("SET LOCAL session_replication_role = origin")
        _timed(loaded, "documents statistics", lambda: cursor.execute(
            "ANALYZE documents_customerdocument"
        ))  # fmt: skip
    return loaded.seconds, customers
