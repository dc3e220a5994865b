"""Reads of customers that are more than one ORM call."""

import datetime
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connections, models
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Greatest, Now, TruncDate

from customers import erasure, sections
from customers.models import (
    SORT_KEYS,
    Customer,
    CustomerCount,
    CustomerSearchWord,
    InsuranceProvider,
    RetentionCandidate,
    RetentionReview,
    sort_ordering,
)
from customers.next_appointment import start as next_appointment_start
from customers.validators import years_before
from opticrm.lib import pagination, text
from opticrm.lib.dates import start_of_day
from opticrm.lib.history import with_latest_event_id
from opticrm.lib.models import with_names_of
from opticrm.lib.prepared import Prepared

DEFAULT_SORT = "name"
# The search-as-you-type pickers (appointments, invoices) show this many.
CUSTOMER_CHOICES_LIMIT = 10
_FULL_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?$")
_PHONE_CHARS = set("0123456789+/-() ")


def insurance_choices() -> list[tuple[int, str]]:
    """(id, name) of every insurer, by name, for the filter's select."""
    return list(InsuranceProvider.objects.order_by("name").values_list("id", "name"))


def insurer_named(name: str) -> int | None:
    """The id of the insurer of this name (as written, any case), or None:
    the API names insurers where the screens choose them."""
    return (
        InsuranceProvider.objects.filter(name__iexact=name.strip())
        .values_list("pk", flat=True)
        .first()
    )


def customer_list(*, deleted: bool = False) -> QuerySet[Customer]:
    """The customers who are not deleted or, with ``deleted=True``, only the
    deleted ones (the list of deleted customers)."""
    customers = Customer.objects.select_related("insurance_provider")
    return customers.deleted() if deleted else customers.alive()


def customer_page(pk: int) -> Customer | None:
    """The living customer ``pk`` as the customer page reads them
    (customer_page_queryset), compiled once per process."""
    found = list(_CUSTOMER_PAGE(pk))
    return found[0] if found else None


_CUSTOMER_PAGE = Prepared(lambda pk: customer_page_queryset().filter(pk=pk).order_by()[:1])


def customer_page_queryset() -> QuerySet[Customer]:
    """Living customers with the version the page's live updates compare
    (``history_version``) and what the page's sections read with the row
    (customers.sections; e.g. whether there are contact lens fittings at all:
    asking in a query of its own cost a tenth of the page)."""
    return _customer_page_queryset().all()


@functools.cache
def _customer_page_queryset() -> QuerySet[Customer]:
    # Built once per process and only ever copied (.all()), never evaluated:
    # its joins, subqueries and deferred columns took a twentieth of the
    # customer page to put together, the same on every request (issue 8).
    # Who changed the customer last, for the page: not a query of its own.
    customers = with_names_of(customer_list(), users=("updated_by",))
    # What the sections other apps add to the page read with the row.
    return sections.annotated(with_latest_event_id(customers))


def customers_with_next_appointment(*, deleted: bool = False) -> QuerySet[Customer]:
    """Customers with what the table shows, the next appointment included,
    in one query; the phone number as stored (``phone_stored``: E.164 for a
    valid number, else as typed — what the field's str() gives) instead of
    the parsed field, which cost a sixth of an API list page (issue 25)."""
    return with_next_appointment(
        customer_list(deleted=deleted)
        .defer("phone")
        .annotate(phone_stored=ExpressionWrapper(F("phone"), output_field=CharField()))
    )


def next_appointment() -> Case:
    """A customer's next appointment: the stored ``next_appointment_at``,
    which its trigger keeps on every appointment write, or, once that one has
    begun (the trigger does not see the clock), what the appointments app
    finds now (customers.next_appointment), for that row alone. Screens and the API read it so."""
    return Case(
        When(next_appointment_at__lt=Now(), then=next_appointment_start()),
        default=F("next_appointment_at"),
        output_field=DateTimeField(),
    )


def with_next_appointment(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate ``next_appointment`` (see next_appointment())."""
    return queryset.annotate(next_appointment=next_appointment())


# What the customer list's export reads of a row (customers.views._export_columns).
EXPORT_FIELDS = (
    "external_number",
    "salutation",
    "title",
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "street",
    "postcode",
    "town",
    "country",
    "insurance_provider__name",
    "last_exam_date",
    "status",
    "notes",
    "created_at",
)


def export_queryset() -> QuerySet[Customer]:
    """Living customers with what their export row shows, the phone number
    as stored (``phone_stored``, read by opticrm.lib.phone.stored_number):
    a million rows of whole customers and parsed numbers took twice as long."""
    return (
        Customer.objects.alive()
        .select_related("insurance_provider")
        .only(*EXPORT_FIELDS)
        .annotate(phone_stored=ExpressionWrapper(F("phone"), output_field=CharField()))
    )


def table_queryset(*, deleted: bool) -> QuerySet[Customer]:
    """What the customer table filters and pages. The next appointment is
    read per page afterwards (table_rows), not for every
    row a deep page skips; sorting by it reads the stored
    ``next_appointment_at`` (see services.refresh_passed_next_appointments)."""
    return customer_list(deleted=deleted)


# What a row of the customer table shows (customers/templatetags/customer_tables.py).
TABLE_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "insurance_provider__name",
    "last_exam_date",
    # Shown with the recall filter: the date it filters by (a column of the
    # row, kept by a trigger, so no query of its own).
    "last_refraction_date",
    "status",
    "next_appointment_at",
    "deleted_at",
    # The photo column's storage key (shown when switched on): in the row,
    # so the photos cost no query.
    "photo",
)


def table_rows(*, deleted: bool) -> QuerySet[Customer]:
    """The customers of one page of the table, read by id: only the columns
    the rows show (the search text and notes would be read and converted
    for nothing), with their ``next_appointment``. The phone number as
    stored (``phone_stored``), read by opticrm.lib.phone.stored_number
    instead of the field's parsing."""
    columns = [column for column in TABLE_COLUMNS if column != "phone"]
    return with_next_appointment(
        customer_list(deleted=deleted)
        .only(*columns)
        .annotate(phone_stored=ExpressionWrapper(F("phone"), output_field=CharField()))
    )


def sorts_by_next_appointment(sort: str) -> bool:
    return sort.lstrip("-") == "next_appointment"


def _clean(query: str | None) -> str:
    return (query or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL


def _phone_digits(query: str) -> str | None:
    """The digits of a query that looks like a phone number."""
    if set(query) <= _PHONE_CHARS and len(text.digits(query)) >= 3:
        return text.digits(query)
    return None


def known_count(kind: str, value: str) -> int:
    """How many customers (not deleted) have ``value`` as their ``kind``
    (CustomerCount.STATUS, INSURER or WORD): one row read, where counting
    them would read one index entry per customer."""
    counts = CustomerCount.objects.filter(kind=kind, value=value).values_list("customers")
    return next((customers for (customers,) in counts), 0)


def refractions_before_count(cutoff: datetime.date) -> int:
    """How many customers (not deleted) had their newest refraction before
    ``cutoff``: a sum over the days CustomerCount keeps."""
    days = CustomerCount.objects.filter(kind=CustomerCount.REFRACTION, value__lt=cutoff.isoformat())
    return int(days.aggregate(customers=Sum("customers"))["customers"] or 0)


class WordMatches(NamedTuple):
    rows: QuerySet[CustomerSearchWord]
    # Whether no customer has two of the rows (then they need no DISTINCT).
    one_per_customer: bool
    # The one search key all matches have, when that is the whole query:
    # then they are counted in CustomerCount.
    word: str | None = None
    # Whether the query has more than one word ("anna m").
    several_words: bool = False


def word_matches(query: str, *, to_count: bool = False) -> WordMatches | None:
    """The search-word rows of the customers (not deleted) in whose names,
    email or phone every word of ``query`` begins a word ("müll" finds
    "Mueller-Schmidt"), or None when the query has no words. The rows are
    those of the query's longest word: the fewest to read and sort.
    ``to_count``: the rows will be counted and sorted themselves (not just
    looked up), worth a query to see whether they are one word's."""
    keys = sorted(text.search_words(query), key=len, reverse=True)
    if not keys:
        return None
    driving, *others = keys
    words = CustomerSearchWord.objects.filter(word__startswith=driving)
    # A whole surname ("Müller") usually begins just one word of the index.
    # Then the rows are that word's: one per customer and already in name
    # order in the index, so 50,000 matches are counted without a sort and
    # their first page is read, not sorted (two index probes to find out).
    one_word = None
    rows = words
    if to_count:
        bounds = words.aggregate(first=Min("word"), last=Max("word"))
        if bounds["first"] is not None and bounds["first"] == bounds["last"]:
            one_word = bounds["first"]
            rows = CustomerSearchWord.objects.filter(word=one_word)
    for key in others:
        rows = rows.filter(
            customer__in=CustomerSearchWord.objects.filter(word__startswith=key).values("customer")
        )
    return WordMatches(
        rows,
        one_per_customer=one_word is not None,
        word=None if others else one_word,
        several_words=bool(others),
    )


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """The customers (not deleted) of ``queryset`` the search finds: every
    word must begin a word of the name (accent- and umlaut-insensitive), the
    email or the phone number; a query that looks like a phone number is
    matched anywhere in its digits."""
    query = _clean(query)
    if not query:
        return queryset
    if number := _phone_digits(query):
        return queryset.filter(search_text__contains=number)
    matches = word_matches(query)
    if matches is None:
        return queryset.none()
    return queryset.filter(pk__in=matches.rows.values("customer"))


class SearchHits:
    """The ids of the customers a word search finds, in name order, counted
    and sliced (for a paginator) from the search-word index alone: a common
    surname's 50,000 matches without reading a customer."""

    # How many ids a search of several words reads along with its count:
    # the first pages (a paginator asks for the count, then for a page).
    FIRST_IDS = 100

    def __init__(self, matches: WordMatches, *, descending: bool):
        order = ("-sort_name", "-customer") if descending else ("sort_name", "customer")
        self._matches = matches
        self._descending = descending
        self._ids = matches.rows.order_by(*order).values_list("customer", flat=True)
        self._distinct = not matches.one_per_customer
        self._word = matches.word
        # The first FIRST_IDS ids, when count() read them.
        self._first: list[int] | None = None
        self._total: int | None = None

    def count(self) -> int:
        if self._word is not None:
            return known_count(CustomerCount.WORD, self._word)
        if self._matches.several_words:
            return self._count_with_first_ids()
        if not self._distinct:
            return self._ids.count()
        return self._ids.aggregate(count=Count("customer", distinct=True))["count"]

    def _count_with_first_ids(self) -> int:
        """Count the matches and read the first ids in one query. For
        several words PostgreSQL joins every match of one word with those of
        the others, whether to count them or to find a page ("anna m": 2,000
        of 28,000 Annas, 35 ms), so it should do that once, not twice."""
        hits = self._matches.rows.order_by().values(hit=F("customer"), name=F("sort_name"))
        if self._distinct:
            hits = hits.distinct()
        sql, params = hits.query.get_compiler(hits.db).as_sql()
        direction = "DESC" if self._descending else "ASC"
        with connections[hits.db].cursor() as cursor:
            cursor.execute(
                f"SELECT hit, COUNT(*) OVER () FROM ({sql}) hits"
                f" ORDER BY name {direction}, hit {direction} LIMIT %s",
                (*params, self.FIRST_IDS),
            )
            found = cursor.fetchall()
        self._first = [hit for hit, _total in found]
        self._total = found[0][1] if found else 0
        return self._total

    def __getitem__(self, window: slice) -> list[int]:
        if self._first is not None and (
            len(self._first) == self._total
            or (window.stop is not None and window.stop <= len(self._first))
        ):
            return self._first[window]
        # A customer has a row for each matching word ("Anna Annaberg" two
        # for "ann"), next to each other in this order. Reading rows up to
        # the window's end and dropping repeats keeps PostgreSQL's quick
        # top-N sort; DISTINCT would sort every match.
        wanted = window.stop
        rows = wanted
        while True:
            read = list(self._ids[:rows])
            ids = list(dict.fromkeys(read))
            if len(ids) >= wanted or len(read) < rows:
                return ids[window]
            rows *= 2


def search_ids_in_name_order(query: str, *, descending: bool = False) -> SearchHits | None:
    """What customer_search finds, in name order, from the search-word index
    alone (see SearchHits). None when the query is a phone number or has no
    words (customer_search answers those)."""
    query = _clean(query)
    if not query or _phone_digits(query):
        return None
    matches = word_matches(query, to_count=True)
    if matches is None:
        return None
    return SearchHits(matches, descending=descending)


def search_count(query: str) -> int | None:
    """How many customers customer_search finds for ``query`` when that is
    kept in CustomerCount (a query that begins just one search key), else
    None: then they are to be counted."""
    query = _clean(query)
    if not query or _phone_digits(query):
        return None
    matches = word_matches(query, to_count=True)
    if matches is None or matches.word is None:
        return None
    return known_count(CustomerCount.WORD, matches.word)


def precounted_total(
    *,
    status: str | None = None,
    insurer: int | str | None = None,
    search: str | None = None,
    refraction_before: datetime.date | None = None,
) -> int | None:
    """How many customers (not deleted) a list filtered by just one of these
    shows, from CustomerCount; None when they are to be counted (more than one
    filter, or a search that is not one search key)."""
    given = [value for value in (status, insurer, search, refraction_before) if value]
    if len(given) != 1:
        return None
    if status:
        return known_count(CustomerCount.STATUS, status)
    if insurer:
        return known_count(CustomerCount.INSURER, str(insurer))
    if refraction_before:
        return refractions_before_count(refraction_before)
    return search_count(search)


def customer_text_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Every word must appear anywhere in a name (accent- and
    umlaut-insensitive), the email or the phone number: for the deleted
    customers and the admin, which the search-word index does not cover
    (deleted customers have no words there)."""
    query = _clean(query)
    if not query:
        return queryset
    if number := _phone_digits(query):
        return queryset.filter(search_text__contains=number)
    condition = Q()
    for term in query.split():
        # "Müller" must also find a customer stored as "Mueller".
        spellings = Q()
        for spelling in {text.fold(term), text.fold_transliterated(term)}:
            spellings |= Q(search_text__contains=spelling)
        condition &= spellings
    return queryset.filter(condition)


def customer_sort(queryset: QuerySet[Customer], sort: str) -> QuerySet[Customer]:
    column = sort.lstrip("-")
    if column not in SORT_KEYS:
        column, sort = DEFAULT_SORT, DEFAULT_SORT
    return queryset.order_by(*sort_ordering(column, descending=sort.startswith("-")))


def identity_keys(
    *, first_name: str, last_name: str, date_of_birth: datetime.date | None, email: str
) -> list[tuple]:
    """What makes two customers possibly the same person, as keys (the rule
    of customer_possible_duplicates, for records not yet in the database:
    an import's test run compares its rows with these)."""
    keys: list[tuple] = []
    if first_name and last_name and date_of_birth:
        keys.append(
            ("name", first_name.strip().casefold(), last_name.strip().casefold(), date_of_birth)
        )
    if email:
        keys.append(("email", email.strip().lower()))
    return keys


def customer_possible_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None,
    email: str,
    exclude_id: int | None = None,
) -> QuerySet[Customer]:
    """Customers who may be the same person: same name and birth date, or same email."""
    condition = Q()
    if first_name and last_name and date_of_birth:
        condition |= Q(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )
    if email:
        condition |= Q(email=email.strip().lower())
    if not condition:
        return Customer.objects.none()
    duplicates = Customer.objects.alive().filter(condition)
    if exclude_id is not None:
        duplicates = duplicates.exclude(pk=exclude_id)
    return duplicates.order_by("sort_name", "id")


# Recall ("Refraktion älter als 2 Jahre"): the newest current refraction's
# date is kept on the customer (a trigger of prescriptions, migration 0004),
# so the filter is the customer's own column and reads its index.
RECALL_YEARS = 2


def recall_cutoff(today: datetime.date) -> datetime.date:
    return years_before(today, RECALL_YEARS)


def refraction_older_than(queryset: QuerySet, cutoff: datetime.date) -> QuerySet:
    """Customers whose newest refraction is from before ``cutoff``: they have
    one, and none since (recall candidates)."""
    # The newest current refraction's date is kept on the customer (a
    # trigger, prescriptions migration 0004), so this reads an index.
    return queryset.filter(last_refraction_date__lt=cutoff)


def customers_by_name_and_birth(
    *, first_name: str, last_name: str, date_of_birth: datetime.date
) -> QuerySet[Customer]:
    """Living customers of this name (any case) and birth date: an import's
    match when it has no external number (reads customer_duplicate)."""
    return (
        Customer.objects.alive()
        .filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )
        .order_by("id")
    )


def customers_by_external_numbers(numbers: list[str]) -> dict[str, Customer]:
    """Living customers by their numbers of the previous system (an import
    batch's matches in one query)."""
    wanted = {number.strip() for number in numbers if number and number.strip()}
    return {
        c.external_number: c for c in Customer.objects.alive().filter(external_number__in=wanted)
    }


def customer_by_external_number(external_number: str) -> Customer | None:
    """The living customer with this number of the previous system, if any."""
    return Customer.objects.alive().filter(external_number=external_number.strip()).first()


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a customer does: rows deleted and rows kept, by kind."""

    deleted: list[tuple[str, int]]  # (what, how many)
    kept: list[tuple[str, int, str]]  # (what, how many, the law's reason)

    @property
    def anonymises(self) -> bool:
        return bool(self.kept)


def erasure_plan(*, customer_id: int) -> ErasurePlan:
    """The erasure's explanation before it is done (the confirmation page)."""
    deleted, kept = [], []
    for holding in erasure.holdings():
        rows = holding.model._default_manager.filter(**{holding.field: customer_id})
        name = str(holding.model._meta.verbose_name_plural)
        if holding.kept_by_law:
            if count := rows.filter(**holding.kept_rows).count():
                kept.append((name, count, holding.kept_by_law))
        elif count := rows.count():
            deleted.append((name, count))
    for scrub in erasure.scrubs():
        deleted.extend(scrub.counts(customer_id))
    return ErasurePlan(deleted=deleted, kept=kept)


def retention_cutoff(today: datetime.date, years: int) -> datetime.date:
    """The day before which a last contact means the period has run out:
    ``years`` whole calendar years counted from the end of the contact's
    year, as retention periods are (§ 147 (4) AO). On 06.12.2026 with 10
    years: a contact in 2015 or before."""
    return datetime.date(today.year - years, 1, 1)


def retention_due(contact_before: datetime.date) -> QuerySet[Customer]:
    """Customers without any contact since ``contact_before``, living or
    deleted (a deleted customer's data are still stored; not the anonymised
    remains of an erasure): the record made before it, no eye test or
    contact lens fitting since (the customer's own dates), and nothing other
    apps count as contact (an appointment, registered in customers.erasure)
    on or after it. Annotated
    with ``last_contact``, the newest of them (GREATEST skips the missing)."""
    since = start_of_day(contact_before)
    customers = Customer.objects.filter(
        Q(eye_test_base__isnull=True) | Q(eye_test_base__lt=contact_before),
        Q(last_fitting_date__isnull=True) | Q(last_fitting_date__lt=contact_before),
        anonymised_at__isnull=True,
        created_at__lt=since,
    )
    contacts = [TruncDate("created_at"), F("eye_test_base"), F("last_fitting_date")]
    for holding in erasure.holdings():
        if not holding.contact:
            continue
        rows = holding.model._default_manager.filter(**{holding.field: OuterRef("pk")})
        customers = customers.exclude(Exists(rows.filter(**{f"{holding.contact}__gte": since})))
        newest = rows.order_by(f"-{holding.contact}").values(holding.contact)[:1]
        contact = Subquery(newest)
        if isinstance(holding.model._meta.get_field(holding.contact), models.DateTimeField):
            contact = TruncDate(contact)
        contacts.append(contact)
    return customers.annotate(last_contact=Greatest(*contacts, output_field=models.DateField()))


def retention_review_latest() -> RetentionReview | None:
    return RetentionReview.objects.first()


def retention_candidates(review: RetentionReview) -> QuerySet:
    """(customer id, last contact) of the review's customers, oldest contact
    first, read from the covering index alone (an erased customer's entry
    goes with the erasure)."""
    return (
        RetentionCandidate.objects.filter(review=review)
        .order_by("last_contact", "customer_id")
        .values_list("customer_id", "last_contact")
    )


def retention_rows(pairs) -> list[tuple[Customer, datetime.date]]:
    """A page's (customer, last contact), the customers by id in one query."""
    pairs = list(pairs)
    customers = Customer.objects.only(
        "first_name", "last_name", "date_of_birth", "created_at", "deleted_at"
    ).in_bulk([pk for pk, _day in pairs])
    return [(customers[pk], day) for pk, day in pairs if pk in customers]


def _birth_date_condition(word: str) -> Q | None:
    """A condition on the date of birth if the word is a date (12.03.1965,
    1965-03-12) or a day and month (12.03.), else None."""
    if match := _FULL_DATE.match(word):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(word):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_MONTH.match(word):
        day, month = (int(part) for part in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return Q(pk__in=[])
        return Q(date_of_birth__month=month, date_of_birth__day=day)
    else:
        return None
    try:
        return Q(date_of_birth=datetime.date(year, month, day))
    except ValueError:
        return Q(pk__in=[])


def customer_choices(query: str, *, limit: int = CUSTOMER_CHOICES_LIMIT) -> list[Customer]:
    """Customers for the search-as-you-type picker: the words must match the
    name, phone or email (as in the customer search) and a date in the query
    the date of birth. At most ``limit`` + 1, so the caller can tell there are more."""
    query = (query or "").replace("\x00", "").strip()
    if not query:
        return []
    customers = Customer.objects.alive()
    words = []
    for word in query.split():
        condition = _birth_date_condition(word)
        if condition is None:
            words.append(word)
        else:
            customers = customers.filter(condition)
    if words and len(words) == len(query.split()):
        # Names only: found and ordered from the search-word index.
        ids = search_ids_in_name_order(" ".join(words))
        if ids is not None:
            ordered = list(ids[: limit + 1])
            found = customers.in_bulk(ordered)
            return [found[pk] for pk in ordered if pk in found]
    customers = customer_search(customers, " ".join(words))
    if words:
        # A surname's matches sit together in name order (see there).
        return list(
            pagination.match_before_sorting(customers.order_by("sort_name", "id"))[: limit + 1]
        )
    return list(customers.order_by("sort_name", "id")[: limit + 1])
