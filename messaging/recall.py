"""Who is due to come back (the recall list) and why: the rules of
DOMAIN.md in one place, as a database filter for the list and its batch
actions and as a date for each customer shown.

- Eye test: every 2 years, yearly for those who wear a correction (glasses
  by their newest refraction, or contact lenses) and for children (under
  18) and customers from 65 on; counted from the newest exam or refraction
  (``Customer.eye_test_base``).
- Contact lens check: 6 months after the newest fitting (a check is
  recorded as a fitting).
- Contact lens reorder ("Nachbestellung fällig"): on the day the supply of
  the customer's latest contact lens order runs out
  (``Customer.cl_reorder_due``: the latest ``Order.reorder_due`` of their
  contact lens orders that are not cancelled).
- Not listed: deleted and inactive customers, customers with an upcoming
  appointment, and those contacted for this recall within the shop's pause
  (MessageSettings.recall_pause_weeks; a failed or cancelled message does
  not count).

Everything the filter asks of a customer is a column of the customer's row,
kept by the customers app and triggers of prescriptions and orders, and the
list pages from the indexes customer_recall_eye_test /
customer_recall_fitting / customer_recall_reorder, oldest first.
Reachability asks the consents (an active consent to recall and advertising
on the channel) and the contact data the channel needs.
"""

from __future__ import annotations

import calendar
import datetime
import heapq
from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.validators import years_before
from messaging.models import ACTIVE, Channel, Consent, Kind, Message, Purpose, State
from messaging.selectors import _ProbedExists

EYE_TEST_YEARS = 2
EYE_TEST_YEARS_YEARLY = 1
FITTING_MONTHS = 6
CHILD_UNTIL = 18
SENIOR_FROM = 65


class Rule:
    EYE_TEST = "eye_test"
    FITTING = "fitting"
    REORDER = "reorder"
    CHOICES = [
        (EYE_TEST, _("Eye test")),
        (FITTING, _("Contact lens check")),
        (REORDER, _("Contact lens reorder")),
    ]
    # The rules that tell that a customer wears contact lenses: shown only
    # with the fitting right (opticrm.lib.health_data.may_see_fittings).
    CONTACT_LENSES = (FITTING, REORDER)


KIND_OF_RULE = {
    Rule.EYE_TEST: Kind.RECALL_EYE_TEST,
    Rule.FITTING: Kind.RECALL_CL_CHECK,
    Rule.REORDER: Kind.RECALL_CL_REORDER,
}
# The column of the customer's row each rule counts from (and the list is
# ordered and paged by): see _base.
BASE_OF_RULE = {
    Rule.EYE_TEST: "eye_test_base",
    Rule.FITTING: "last_fitting_date",
    Rule.REORDER: "cl_reorder_due",
}


class AgeGroup:
    CHILDREN = "children"
    ADULTS = "adults"
    SENIORS = "seniors"
    CHOICES = [
        (CHILDREN, _("under 18")),
        (ADULTS, _("18 to 64")),
        (SENIORS, _("65 and older")),
    ]


class Reach:
    EMAIL = Channel.EMAIL.value
    SMS = Channel.SMS.value
    LETTER = Channel.LETTER.value
    NONE = "none"
    CHOICES = [
        (EMAIL, _("by e-mail")),
        (SMS, _("by SMS")),
        (LETTER, _("by letter")),
        (NONE, _("not reachable")),
    ]


def months_before(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class RecallQuery:
    """What the recall list is filtered by: the rule, the due month (None:
    due by the end of the current month, overdue included), how the
    customer can be reached, the age group."""

    today: datetime.date
    rule: str = Rule.EYE_TEST
    month: datetime.date | None = None  # the first day of a month
    reach: str = ""
    age_group: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str:
        return KIND_OF_RULE[self.rule]

    @property
    def window(self) -> tuple[datetime.date | None, datetime.date]:
        """(first, last) day the recall falls due; first None: any time before."""
        if self.month is None:
            return None, month_end(self.today)
        return self.month, month_end(self.month)

    def as_dict(self) -> dict:
        """JSON, for a background task."""
        return {
            "today": self.today.isoformat(),
            "rule": self.rule,
            "month": self.month.isoformat() if self.month else None,
            "reach": self.reach,
            "age_group": self.age_group,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RecallQuery:
        return cls(
            today=datetime.date.fromisoformat(data["today"]),
            rule=data["rule"],
            month=datetime.date.fromisoformat(data["month"]) if data.get("month") else None,
            reach=data.get("reach", ""),
            age_group=data.get("age_group", ""),
        )


def months_offered(today: datetime.date, count: int = 6) -> list[datetime.date]:
    """The due months the list offers: this month and the next ones."""
    first = today.replace(day=1)
    return [months_before(first, -n) for n in range(count)]


# --- The rule, for one customer ----------------------------------------------


def is_yearly(customer: Customer, today: datetime.date) -> bool:
    """Whether the customer's eye test is due every year (else every two)."""
    born = customer.date_of_birth
    return bool(
        customer.wears_correction
        or (born and born > years_before(today, CHILD_UNTIL))
        or (born and born <= years_before(today, SENIOR_FROM))
    )


def due_date(customer: Customer, rule: str, today: datetime.date) -> datetime.date | None:
    """When the customer is due by ``rule`` (None: no exam, fitting or
    contact lens order known)."""
    if rule == Rule.REORDER:
        return customer.cl_reorder_due
    if rule == Rule.FITTING:
        fitted = customer.last_fitting_date
        return months_before(fitted, -FITTING_MONTHS) if fitted else None
    base = customer.eye_test_base
    if base is None:
        return None
    years = EYE_TEST_YEARS_YEARLY if is_yearly(customer, today) else EYE_TEST_YEARS
    return years_before(base, -years)


# --- The same rule, as a filter ------------------------------------------------


def _yearly(today: datetime.date) -> Q:
    return (
        Q(wears_correction=True)
        | Q(date_of_birth__gt=years_before(today, CHILD_UNTIL))
        | Q(date_of_birth__lte=years_before(today, SENIOR_FROM))
    )


def _due_between(query: RecallQuery) -> Q:
    """Due (by due_date) within the query's window. The window starts on a
    month's first day and ends before the next month's first: those are
    never clamped when counted back (31 August + 6 months is 28 February,
    but 1 March − 6 months is 1 September), so a due date and the month
    filter always agree."""
    first, last = query.window
    after = last + datetime.timedelta(days=1)
    if query.rule == Rule.REORDER:
        # The due date itself: nothing counted back.
        due = Q(cl_reorder_due__lt=after)
        if first is not None:
            due &= Q(cl_reorder_due__gte=first)
        return due
    if query.rule == Rule.FITTING:
        due = Q(last_fitting_date__lt=months_before(after, FITTING_MONTHS))
        if first is not None:
            due &= Q(last_fitting_date__gte=months_before(first, FITTING_MONTHS))
        return due
    yearly = _yearly(query.today)
    rules = (yearly & _eye_test_range(query, EYE_TEST_YEARS_YEARLY)) | (
        ~yearly & _eye_test_range(query, EYE_TEST_YEARS)
    )
    # The two ranges' envelope once more, outside the OR: the index walk
    # of customer_recall_eye_test gets its bounds from it (without, a due
    # month read 420,000 index entries at a million customers: 2.5 s).
    envelope = Q(eye_test_base__lt=years_before(after, EYE_TEST_YEARS_YEARLY))
    if first is not None:
        envelope &= Q(eye_test_base__gte=years_before(first, EYE_TEST_YEARS))
    return envelope & rules


def _eye_test_range(query: RecallQuery, years: int) -> Q:
    """Eye test bases due within the query's window after ``years``."""
    first, last = query.window
    q = Q(eye_test_base__lt=years_before(last + datetime.timedelta(days=1), years))
    if first is not None:
        q &= Q(eye_test_base__gte=years_before(first, years))
    return q


def _age(group: str, today: datetime.date) -> Q:
    child = Q(date_of_birth__gt=years_before(today, CHILD_UNTIL))
    senior = Q(date_of_birth__lte=years_before(today, SENIOR_FROM))
    if group == AgeGroup.CHILDREN:
        return child
    if group == AgeGroup.SENIORS:
        return senior
    if group == AgeGroup.ADULTS:
        return Q(date_of_birth__isnull=False) & ~child & ~senior
    return Q()


def _consented(channel: str) -> _ProbedExists:
    return _ProbedExists(
        Consent.objects.filter(
            ACTIVE, customer=OuterRef("pk"), channel=channel, purpose=Purpose.MARKETING
        )
    )


def reachable_by(channel: str) -> Q:
    """Consent to recalls on ``channel`` and the contact data it needs (the
    same as messaging.selectors.has_contact_data, from the row's columns)."""
    if channel == Channel.EMAIL:
        return ~Q(email="") & Q(_consented(Channel.EMAIL))
    if channel == Channel.SMS:
        return Q(phone_takes_sms=True) & Q(_consented(Channel.SMS))
    return ~Q(street="") & ~Q(postcode="") & ~Q(town="") & Q(_consented(Channel.LETTER))


def electronically_reachable() -> Q:
    return reachable_by(Channel.EMAIL) | reachable_by(Channel.SMS)


def only_by_letter() -> Q:
    """Reached by letter and not by e-mail or SMS: who gets a printed letter."""
    return reachable_by(Channel.LETTER) & ~electronically_reachable()


def _reach(reach: str) -> Q:
    if reach in (Reach.EMAIL, Reach.SMS, Reach.LETTER):
        return reachable_by(reach)
    if reach == Reach.NONE:
        return ~electronically_reachable() & ~reachable_by(Channel.LETTER)
    return Q()


def contacted_lately(kind: str, *, since: datetime.datetime) -> _ProbedExists:
    """A recall of ``kind`` planned or sent to the customer since ``since``
    (failed and cancelled ones do not count): read from message_customer."""
    return _ProbedExists(
        Message.objects.filter(customer=OuterRef("pk"), kind=kind, created_at__gte=since).exclude(
            state__in=[State.FAILED, State.CANCELLED]
        )
    )


def due_customers(
    query: RecallQuery, *, pause_weeks: int, now: datetime.datetime | None = None
) -> QuerySet:
    """The customers due by ``query``, oldest exam (fitting, reorder date) first."""
    return _due(query, _due_between(query), pause_weeks=pause_weeks, now=now)


def _due(
    query: RecallQuery, due: Q, *, pause_weeks: int, now: datetime.datetime | None
) -> QuerySet:
    now = now or timezone.now()
    # From the start of that day: the same query all day long (the list's
    # count estimate is kept per query).
    since = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate(now - datetime.timedelta(weeks=pause_weeks)), datetime.time()
        )
    )
    today_start = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now), datetime.time())
    )
    base = _base(query)
    # One filter() of one Q: each filter() call copies the query built so
    # far, which cost more than building it (the list builds it per page).
    return (
        Customer.objects.alive()
        .filter(
            ~Q(status=Customer.Status.INACTIVE)
            & Q(**{f"{base}__isnull": False})
            # No upcoming appointment; the kept start of one before today
            # waits for its refresh (customers.services), it is not
            # upcoming. (From the day's start: the same query all day.)
            & (Q(next_appointment_at__isnull=True) | Q(next_appointment_at__lt=today_start))
            & due
            & _age(query.age_group, query.today)
            & _reach(query.reach)
            & ~Q(contacted_lately(query.kind, since=since))
        )
        .order_by(base, "id")
    )


def _parts(query: RecallQuery) -> list[Q]:
    """The query's due rule as ranges of one index each: the eye test's
    two rules (yearly, every two years) apart, each from its own narrow
    range of customer_recall_eye_test. Read as one OR, a due month read the
    13 months between them (180,000 index entries at a million customers),
    or every row of its month from the table. The contact lens rules are
    one range each."""
    if query.rule in Rule.CONTACT_LENSES:
        return [_due_between(query)]
    yearly = _yearly(query.today)
    return [
        yearly & _eye_test_range(query, EYE_TEST_YEARS_YEARLY),
        ~yearly & _eye_test_range(query, EYE_TEST_YEARS),
    ]


def due_ranges(
    query: RecallQuery, *, pause_weeks: int, now: datetime.datetime | None = None
) -> list[QuerySet]:
    """The customers due by ``query`` as one list per range (_parts), each
    in the list's order."""
    return [_due(query, part, pause_weeks=pause_weeks, now=now) for part in _parts(query)]


def _base(query: RecallQuery) -> str:
    return BASE_OF_RULE[query.rule]


def due_keys(
    query: RecallQuery, *, pause_weeks: int, now: datetime.datetime | None = None
) -> QuerySet:
    """The customers due by ``query`` in the list's order, as (date counted
    from, id) pairs: read from the recall index alone, whose included
    columns hold what the filters ask of a row (unless the e-mail or postal
    address is asked); the rows of a page are read by id afterwards
    (page_customers). For the list up to a day: one index range, walked in
    order until a page is full (a due month: capped_keys)."""
    return due_customers(query, pause_weeks=pause_weeks, now=now).values_list(_base(query), "pk")


def capped_keys(
    query: RecallQuery, *, pause_weeks: int, at_most: int, now: datetime.datetime | None = None
) -> tuple[list[tuple], bool]:
    """The first ``at_most`` keys (as due_keys) of the list, and whether
    they are all of it: one query per range (_parts), each read in index
    order up to ``at_most`` + 1 and merged. A due month's list is counted
    and paged from these: as one OR of its ranges PostgreSQL read every row
    of the month from the table (11,000 at a million customers), and a
    count and a page apart compiled and ran each range's query twice."""
    heads = [
        list(customers.values_list(_base(query), "pk")[: at_most + 1])
        for customers in due_ranges(query, pause_weeks=pause_weeks, now=now)
    ]
    merged = list(heapq.merge(*heads))
    return merged[:at_most], len(merged) <= at_most


# What a row of the recall list shows and its rules read (due_date,
# is_yearly, usable_channels): a whole customer row made the page's model
# instances cost more than its queries.
ROW_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "date_of_birth",
    "wears_correction",
    "eye_test_base",
    "last_fitting_date",
    "cl_reorder_due",
    "email",
    "phone_takes_sms",
    "street",
    "postcode",
    "town",
)


def page_customers(ids: list[int], kind: str) -> list[Customer]:
    """The customers of a page of the recall list, in the order of ``ids``,
    in one query: the row's columns, the phone number as stored
    (``phone_stored``, for opticrm.lib.phone.stored_number), the channels
    with an active consent to recalls (``consented``) and the newest recall
    of ``kind`` (``last_recall_at``, ``last_recall_channel``)."""
    recalls = Message.objects.filter(customer=OuterRef("pk"), kind=kind).order_by("-created_at")
    rows = (
        Customer.objects.filter(pk__in=ids)
        .order_by()
        .only(*ROW_FIELDS)
        .annotate(
            phone_stored=ExpressionWrapper(F("phone"), output_field=CharField()),
            consented=ArraySubquery(
                Consent.objects.active()
                .filter(customer=OuterRef("pk"), purpose=Purpose.MARKETING)
                .values("channel")
            ),
            last_recall_at=Subquery(recalls.values("created_at")[:1]),
            last_recall_channel=Subquery(recalls.values("channel")[:1]),
        )
        .in_bulk(ids)
    )
    return [rows[pk] for pk in ids if pk in rows]
