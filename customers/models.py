import re

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import ExtractDay, ExtractMonth, Greatest, NullIf, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from customers.validators import validate_date_of_birth, validate_not_in_future
from opticrm.lib import sorting, text
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel, event_meta
from opticrm.lib.phone import takes_sms

ALIVE = Q(deleted_at__isnull=True)
# What the recall list filters a due customer by (messaging.recall), kept in
# its indexes. The e-mail address and the postal address are not: too wide
# for an index, and those filters read the rows they page.
RECALL_FILTER_COLUMNS = [
    "date_of_birth",
    "wears_correction",
    "status",
    "next_appointment_at",
    "phone_takes_sms",
]


DELETED_CUSTOMER = _("deleted customer")


def person_name(first_name: str, last_name: str) -> str:
    """How a customer is named on screen (Customer.full_name), also for
    names read as plain values."""
    return f"{first_name} {last_name}".strip()


def shown_name(first_name: str, last_name: str, deleted_at) -> str:
    """How a customer appears outside their own record (calendar, feeds,
    appointment lists, the API's appointments): once deleted, with nothing
    personal, so the calendar keeps the slot but not the person."""
    return str(DELETED_CUSTOMER) if deleted_at else person_name(first_name, last_name)


def photo_thumb_key(key: str) -> str:
    """Where the small twin of the photo stored under ``key`` lies."""
    return key.rsplit(".", 1)[0] + "-thumb.jpg"


def photo_url(pk: int, key: str, *, thumb: bool = False) -> str:
    """The checked view's URL of a customer's photo ("" without one); the
    key's random part in it, so that a new photo is a new URL."""
    if not key:
        return ""
    version = key.rsplit("/", 1)[-1].split(".", 1)[0][:12]
    size = "&size=thumb" if thumb else ""
    return f"{reverse('customers:photo', args=[pk])}?v={version}{size}"


def photo_initials(first_name: str, last_name: str) -> str:
    return "".join(part[:1] for part in (first_name, last_name) if part).upper()


# Sort keys of the customer table: column -> expressions, then by id. Blank
# text sorts last like a missing date, so blanks never fill the first page.
SORT_KEYS = {
    "name": (F("sort_name"),),
    "email": (NullIf(F("email"), Value("")), F("sort_name")),
    "phone": (NullIf(F("phone"), Value("")), F("sort_name")),
    "date_of_birth": (F("date_of_birth"), F("sort_name")),
    "insurance": (NullIf(F("insurance_sort"), Value("")), F("sort_name")),
    "last_exam": (F("last_exam_date"), F("sort_name")),
    "status": (F("status"), F("sort_name")),
    # Kept by a trigger on appointments (appointments migration 0005).
    "next_appointment": (F("next_appointment_at"), F("sort_name")),
}
# Short names for the index of each direction (PostgreSQL allows 30 characters).
_SORT_INDEX_NAMES = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "date_of_birth": "birth",
    "insurance": "insurer",
    "last_exam": "exam",
    "status": "status",
    "next_appointment": "next",
}


INDEXED_SORTS = tuple(_SORT_INDEX_NAMES)


def sort_ordering(column: str, *, descending: bool) -> list:
    return sorting.ordering(SORT_KEYS[column], descending=descending)


def sort_indexes() -> list[models.Index]:
    return sorting.indexes(SORT_KEYS, _SORT_INDEX_NAMES, prefix="customer_sort", condition=ALIVE)


def insurance_sort_name(name: str) -> str:
    """The insurer's name folded like sort_name: the key of the insurer column."""
    return text.collapse(name)


def sort_name(last_name: str, first_name: str) -> str:
    """Folded last name, a tab, folded first name: the tab sorts before any
    letter or space, so "Müller, Hans" comes before "Müller-Lüdenscheidt"."""
    return f"{text.collapse(last_name)}\t{text.collapse(first_name)}"


class InsuranceProvider(TimeStampedModel):
    """A Krankenkasse or private insurer, chosen from a list so that filters
    are not defeated by spelling variants."""

    class Kind(models.TextChoices):
        STATUTORY = "statutory", _("Statutory (GKV)")
        PRIVATE = "private", _("Private (PKV)")
        SELF_PAYING = "self_paying", _("Self-paying")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STATUTORY)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("insurance provider")
        verbose_name_plural = _("insurance providers")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # Customers sort by their insurer's name: a renamed insurer moves them.
        key = insurance_sort_name(self.name)
        Customer.objects.filter(insurance_provider=self).exclude(insurance_sort=key).update(
            insurance_sort=key
        )


class Salutation(models.TextChoices):
    """The Anrede of letters and the postal address; blank for customers
    who gave none and for diverse (no gendered salutation)."""

    MS = "ms", _("Ms")
    MR = "mr", _("Mr")
    NONE = "", _("diverse / not specified")


class Country(models.TextChoices):
    """Where a customer lives, as an ISO 3166 code: Germany and its neighbours."""

    DE = "DE", _("Germany")
    AT = "AT", _("Austria")
    CH = "CH", _("Switzerland")
    NL = "NL", _("Netherlands")
    BE = "BE", _("Belgium")
    LU = "LU", _("Luxembourg")
    FR = "FR", _("France")
    DK = "DK", _("Denmark")
    PL = "PL", _("Poland")
    CZ = "CZ", _("Czechia")


GERMAN_POSTCODE = re.compile(r"[0-9]{5}")
# The address fields, for the form, the page and the letters.
ADDRESS_FIELDS = ("salutation", "title", "street", "postcode", "town", "country")


def postal_address_lines(customer: "Customer") -> list[str]:
    """The customer's postal address as it goes on an envelope, one line
    each: "Frau Dr. Erika Mustermann", "Musterstraße 12", "12345 Musterstadt",
    and the country's name when it is not Germany. Lines without content are
    left out; without street, postcode and town it is just the name."""
    name = " ".join(
        part
        for part in (
            customer.get_salutation_display() if customer.salutation else "",
            customer.title,
            customer.first_name,
            customer.last_name,
        )
        if part
    )
    lines = [name, customer.street, " ".join(p for p in (customer.postcode, customer.town) if p)]
    has_address = any(lines[1:])
    if has_address and customer.country and customer.country != Country.DE:
        # Abroad the country goes last, in capitals (Deutsche Post's rule).
        lines.append(str(customer.get_country_display()).upper())
    return [line for line in lines if line]


def letter_salutation(customer: "Customer") -> str:
    """The opening of a letter: "Sehr geehrte Frau Dr. Mustermann", "Sehr
    geehrter Herr Mustermann", and without a gendered salutation "Guten Tag
    Erika Mustermann" (no comma: the letter adds it)."""
    if customer.salutation == Salutation.MS:
        name = " ".join(p for p in (customer.title, customer.last_name) if p)
        return gettext("Dear Ms %(name)s") % {"name": name}
    if customer.salutation == Salutation.MR:
        name = " ".join(p for p in (customer.title, customer.last_name) if p)
        return gettext("Dear Mr %(name)s") % {"name": name}
    name = " ".join(p for p in (customer.title, customer.first_name, customer.last_name) if p)
    return gettext("Dear %(name)s") % {"name": name}


class CustomerQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(ALIVE)

    def deleted(self):
        """Deleted and restorable: not the anonymised remains of an erasure."""
        return self.filter(deleted_at__isnull=False, anonymised_at__isnull=True)


# Derived columns stay out of the history: they change with what they are derived from.
DERIVED_FIELDS = (
    "sort_name",
    "search_text",
    "insurance_sort",
    "next_appointment_at",
    "last_refraction_date",
    "phone_takes_sms",
    "last_fitting_date",
    "wears_correction",
    "eye_test_base",
    "has_consent",
    "cl_reorder_due",
)
# Kept by triggers on other tables; Python never writes them (see save()).
TRIGGER_KEPT_FIELDS = (
    "next_appointment_at",
    "last_refraction_date",
    "last_fitting_date",
    "wears_correction",
    "eye_test_base",
    "has_consent",
    "cl_reorder_due",
)


@pghistory.track(
    # The photo's storage key says nothing to a reader of the history.
    exclude=["updated_at", "version", "photo", *DERIVED_FIELDS],
    meta=event_meta("customer_event_newest"),
)
class Customer(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        PROSPECT = "prospect", _("Prospect")

    first_name = models.CharField(
        _("first name"), max_length=100, error_messages={"blank": _("Please enter a name.")}
    )
    last_name = models.CharField(
        _("last name"), max_length=100, error_messages={"blank": _("Please enter a name.")}
    )
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validate_date_of_birth]
    )
    insurance_provider = models.ForeignKey(
        InsuranceProvider,
        verbose_name=_("insurance provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    last_exam_date = models.DateField(
        _("last exam"), null=True, blank=True, validators=[validate_not_in_future]
    )
    # The postal address (issue 23): all optional, blank when not known.
    salutation = models.CharField(
        _("salutation"), max_length=2, choices=Salutation, blank=True, default=""
    )
    title = models.CharField(
        _("title"), max_length=30, blank=True, default="", help_text=_("e.g. Dr. or Prof. Dr.")
    )
    street = models.CharField(_("street and house number"), max_length=100, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, default="")
    town = models.CharField(_("town"), max_length=100, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, choices=Country, default=Country.DE)
    # Until issue 5 this field was the free-text "prescription"; the structured
    # refraction now lives in the prescriptions app and the text stays here.
    notes = models.TextField(_("notes"), blank=True)
    # The customer number of the shop's previous system ("Fremdnummer"), the
    # key an import matches its rows by (issue 27); set by imports only.
    external_number = models.CharField(
        _("external number"), max_length=40, blank=True, db_default="", editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    # Optimistic locking: a save must name the version it was edited from.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    # When the customer was erased (DSGVO Art. 17) while records the law keeps
    # (invoices) still name them: what remains is this anonymised row, deleted
    # and never restorable (customers.services.customer_erase).
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    # Derived from the fields above on every save, for accent-free search and
    # German sorting that do not depend on the database's collation.
    # Byte order ("C") on folded text: German dictionary order on any server,
    # whatever collation the database was created with.
    sort_name = models.TextField(_("sort name"), editable=False, default="", db_collation="C")
    search_text = models.TextField(_("search text"), editable=False, default="")
    # The insurer's name, so that sorting by it reads an index instead of a join.
    insurance_sort = models.TextField(
        _("insurance sort name"), editable=False, default="", db_collation="C"
    )
    # The start of the earliest upcoming planned or confirmed appointment, for
    # sorting by it from an index. A trigger on appointments keeps it (and
    # services.refresh_passed_next_appointments once it has passed); Python
    # never writes it, see save().
    next_appointment_at = models.DateTimeField(_("next appointment"), null=True, editable=False)
    # The date of the newest current refraction, for the recall filter
    # ("refraction older than 2 years") from an index; kept by a trigger on
    # refractions (prescriptions migration 0004).
    last_refraction_date = models.DateField(_("last refraction"), null=True, editable=False)
    # What the recall (messaging.recall) asks of every customer, from
    # indexes: whether an SMS reaches the phone number (opticrm.lib.phone,
    # derived on save); the newest current contact lens fitting's date and
    # whether the customer wears a correction (glasses by the newest
    # refraction, or contact lenses), both kept by triggers on prescriptions
    # (migration 0006); and the date an eye test is counted from.
    phone_takes_sms = models.BooleanField(
        _("phone takes SMS"), default=False, db_default=False, editable=False
    )
    last_fitting_date = models.DateField(_("last contact lens fitting"), null=True, editable=False)
    wears_correction = models.BooleanField(
        _("wears glasses or contact lenses"), default=False, db_default=False, editable=False
    )
    eye_test_base = models.GeneratedField(
        expression=Greatest("last_exam_date", "last_refraction_date"),
        output_field=models.DateField(),
        db_persist=True,
        verbose_name=_("last eye test"),
    )
    # Whether the customer has an active consent (any channel and purpose),
    # for the list filter "ohne Einwilligung" and its count in CustomerCount;
    # kept by a trigger on consents (messaging migration 0005).
    has_consent = models.BooleanField(
        _("has a consent"), default=False, db_default=False, editable=False
    )
    # When the customer's contact lenses run out: the latest "reorder due"
    # of their contact lens orders that are not cancelled, for the recall
    # rule "Nachbestellung fällig" (messaging.recall) from an index; kept by
    # a trigger on orders (orders migration 0004).
    cl_reorder_due = models.DateField(_("contact lens reorder due"), null=True, editable=False)
    # The customer photo (issue 31): the storage key of a square JPEG in the
    # private storage (opticrm.lib.storage; never a public URL), its small
    # twin beside it (photo_thumb_key). A column of the row, so the list, the
    # calendar and the appointment modal show it without a query; a new key
    # per upload, so its URL changes with the photo. Written only by
    # customers.services.customer_photo_set / customer_photo_remove.
    photo = models.CharField(
        _("photo"), max_length=100, blank=True, default="", db_default="", editable=False
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("purge_customer", _("Can delete customers permanently")),
            # The whole customer base with its contact data, as a file.
            ("export_customer", _("Can export customers")),
        ]
        # The rules the database can hold itself, whatever path writes.
        constraints = [
            models.UniqueConstraint(
                fields=["external_number"],
                condition=ALIVE & ~Q(external_number=""),
                name="customer_external_number_unique",
                violation_error_message=_("Another customer has this external number."),
            ),
            CheckConstraint(
                condition=~Q(first_name="") & ~Q(last_name=""),
                name="customer_names_not_blank",
                violation_error_message=_("Please enter a name."),
                field="last_name",
            ),
            CheckConstraint(
                condition=Q(status__in=["active", "inactive", "prospect"]),
                name="customer_status_valid",
                violation_error_message=_("Please choose one of the offered statuses."),
                field="status",
            ),
            CheckConstraint(
                condition=Q(salutation__in=Salutation.values),
                name="customer_salutation_valid",
                violation_error_message=_("Please choose one of the allowed values."),
                field="salutation",
            ),
            CheckConstraint(
                condition=Q(country__in=Country.values),
                name="customer_country_valid",
                violation_error_message=_("Please choose one of the allowed values."),
                field="country",
            ),
            CheckConstraint(
                condition=Q(last_exam_date__isnull=True)
                | Q(date_of_birth__isnull=True)
                | Q(last_exam_date__gte=F("date_of_birth")),
                name="customer_exam_after_birth",
                violation_error_message=_("The last exam cannot be before the date of birth."),
                field="last_exam_date",
            ),
        ]
        indexes = [
            *sort_indexes(),
            # Filtering by status pages from customer_sort_status_a. A status
            # alone is counted in CustomerCount; with another filter it is
            # counted from this one, a seventh of the sort index's size.
            models.Index(fields=["status"], name="customer_status", condition=ALIVE),
            models.Index(
                "insurance_provider", "sort_name", "id", name="customer_insurance", condition=ALIVE
            ),
            models.Index(fields=["deleted_at"], name="customer_deleted", condition=~ALIVE),
            # The API's orderings by id, created_at and updated_at (issue 25);
            # id has the primary key's index.
            models.Index(fields=["created_at", "id"], name="customer_created", condition=ALIVE),
            models.Index(fields=["updated_at", "id"], name="customer_updated", condition=ALIVE),
            # The duplicate warning compares names case-insensitively (UPPER).
            models.Index(
                Upper("first_name"),
                Upper("last_name"),
                F("date_of_birth"),
                name="customer_duplicate",
                condition=ALIVE,
            ),
            models.Index(fields=["email"], name="customer_email", condition=ALIVE),
            # The recall filter counts and pages its customers from here.
            models.Index(
                fields=["last_refraction_date"], name="customer_last_refraction", condition=ALIVE
            ),
            # The recall list (messaging.recall) pages customers due for an
            # eye test, a contact lens check or a contact lens reorder from
            # these, oldest first; the included columns are what its filters
            # ask of a row, so a page's ids and the counts are read from the
            # index alone.
            models.Index(
                fields=["eye_test_base", "id"],
                include=RECALL_FILTER_COLUMNS,
                name="customer_recall_eye_test",
                condition=ALIVE & Q(eye_test_base__isnull=False),
            ),
            models.Index(
                fields=["last_fitting_date", "id"],
                include=RECALL_FILTER_COLUMNS,
                name="customer_recall_fitting",
                condition=ALIVE & Q(last_fitting_date__isnull=False),
            ),
            models.Index(
                fields=["cl_reorder_due", "id"],
                include=RECALL_FILTER_COLUMNS,
                name="customer_recall_reorder",
                condition=ALIVE & Q(cl_reorder_due__isnull=False),
            ),
            # The customers without a consent (messaging's list filter), in
            # name order: a search or a status combined with that filter reads
            # their ids from here instead of every customer's row.
            models.Index(
                "sort_name",
                "id",
                name="customer_without_consent",
                condition=ALIVE & Q(has_consent=False),
            ),
            GinIndex(
                fields=["search_text"], name="customer_search_trgm", opclasses=["gin_trgm_ops"]
            ),
            # The start page's birthdays of the day (today.selectors), by
            # name: one range of month and day, whatever the chain's size.
            models.Index(
                ExtractMonth("date_of_birth"),
                ExtractDay("date_of_birth"),
                "sort_name",
                "id",
                name="customer_birthday",
                condition=ALIVE & Q(date_of_birth__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @property
    def shown_name(self) -> str:
        return shown_name(self.first_name, self.last_name, self.deleted_at)

    @property
    def postal_address_lines(self) -> list[str]:
        return postal_address_lines(self)

    @property
    def letter_salutation(self) -> str:
        return letter_salutation(self)

    @property
    def has_address(self) -> bool:
        return bool(self.street or self.postcode or self.town)

    @property
    def initials(self) -> str:
        """What stands in for a missing photo: "EM" for Erika Mustermann."""
        return photo_initials(self.first_name, self.last_name)

    @property
    def photo_url(self) -> str:
        return photo_url(self.pk, self.photo)

    @property
    def photo_thumb_url(self) -> str:
        return photo_url(self.pk, self.photo, thumb=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def validate_constraints(self, exclude=None) -> None:
        # The external number's uniqueness would ask the database on every
        # save (an import's hundred thousand): the unique index answers when
        # the row is written, and customers.services words its refusal.
        super().validate_constraints(exclude={*(exclude or ()), "external_number"})

    def clean_fields(self, exclude=None) -> None:
        # Trim first, so that a name of only spaces counts as blank.
        self.first_name = (self.first_name or "").strip()
        self.last_name = (self.last_name or "").strip()
        self.email = (self.email or "").strip().lower()
        for name in ("title", "street", "town"):
            setattr(self, name, " ".join((getattr(self, name) or "").split()))
        # "123 45" and " 12345" as typed: a postcode is stored without spaces
        # when German, trimmed otherwise ("1234 AB" in the Netherlands).
        postcode = " ".join((self.postcode or "").split())
        self.postcode = postcode.replace(" ", "") if self.country == Country.DE else postcode
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors = {}
        if self.date_of_birth and self.last_exam_date and self.last_exam_date < self.date_of_birth:
            errors["last_exam_date"] = ValidationError(
                _("The last exam cannot be before the date of birth."), code="before_birth"
            )
        if (
            self.postcode
            and self.country == Country.DE
            and not GERMAN_POSTCODE.fullmatch(self.postcode)
        ):
            errors["postcode"] = ValidationError(
                _("A German postcode has exactly 5 digits, e.g. 10115."), code="postcode"
            )
        if errors:
            raise ValidationError(errors)

    def refresh_derived_fields(self, *, insurer_names: dict[int, str] | None = None) -> None:
        """``insurer_names`` (id -> name) saves the insurer's lookup in bulk loads."""
        self.sort_name = sort_name(self.last_name, self.first_name)
        if not self.insurance_provider_id:
            self.insurance_sort = ""
        elif insurer_names is not None:
            self.insurance_sort = insurance_sort_name(insurer_names[self.insurance_provider_id])
        else:
            self.insurance_sort = insurance_sort_name(self.insurance_provider.name)
        names = f"{self.first_name} {self.last_name}"
        parts = sorted(text.search_variants(names))
        if self.email:
            parts.append(self.email.lower())
        if self.phone:
            e164 = str(self.phone)
            parts.append(text.digits(e164))
            if e164.startswith("+49"):
                parts.append("0" + e164[3:])
        # Found by postcode and town too (issue 23): the postcode's digits
        # by the phone search's "anywhere in the digits", the town's words
        # by their beginnings, as names are.
        if self.postcode:
            parts.append(text.fold(self.postcode))
        if self.town:
            parts.extend(sorted(text.search_variants(self.town)))
        self.search_text = " | ".join(parts)
        self.phone_takes_sms = takes_sms(self.phone)

    def save(self, *args, **kwargs) -> None:
        self.refresh_derived_fields()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "sort_name",
                "search_text",
                "insurance_sort",
                "phone_takes_sms",
            }
        elif not self._state.adding and not kwargs.get("force_insert"):
            # Writing back the next appointment read with the customer would
            # undo a booking the trigger recorded since.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in TRIGGER_KEPT_FIELDS
                and not field.generated
            ]
        super().save(*args, **kwargs)


class CustomerSearchWord(models.Model):
    """One search key (text.search_words) of a customer who is not deleted,
    with the customer's sort name: a search counts and pages its matches from
    the index below without reading the customers table (a common surname
    matches 50,000 customers in a chain). A trigger on customers keeps these
    rows, the words of ``search_text`` (migration 0011); nothing else writes
    them."""

    pk = models.CompositePrimaryKey("customer", "word")
    # The primary key's index leads with the customer: no index of its own.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
    )
    # Byte order, so that a prefix (LIKE 'mull%') is a range of the index.
    word = models.TextField(_("search key"), db_collation="C")
    sort_name = models.TextField(_("sort name"), db_collation="C")

    class Meta:
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")
        indexes = [
            models.Index(fields=["word", "sort_name", "customer"], name="customer_word_prefix")
        ]

    def __str__(self) -> str:
        return self.word


class CustomerCount(models.Model):
    """How many customers who are not deleted have a status, an insurer, a
    search key or their newest refraction on a day, or have no active
    consent: kept exact by statement triggers on customers (migrations 0013
    and 0020), so that a list filtered by one of them shows its total at once
    instead of counting 100,000 index entries on every page view. Read
    through selectors.precounted_total and known_count (the list filters
    other apps register); nothing else writes it."""

    STATUS = "status"
    INSURER = "insurer"  # value: the insurer's id
    WORD = "word"  # value: a key of text.search_words
    REFRACTION = "refraction"  # value: the day of the newest refraction, ISO
    CONSENT = "consent"  # value "none": without an active consent (has_consent)

    pk = models.CompositePrimaryKey("kind", "value")
    kind = models.CharField(_("kind"), max_length=10)
    value = models.TextField(_("value"), db_collation="C")
    customers = models.BigIntegerField(_("customers"))

    class Meta:
        verbose_name = _("customer count")
        verbose_name_plural = _("customer counts")

    def __str__(self) -> str:
        return f"{self.kind} {self.value}: {self.customers}"


class Erasure(models.Model):
    """That a customer was erased for good (DSGVO Art. 17): who did it, when,
    and the customer number — no personal data, so the entry may stay."""

    customer_number = models.PositiveIntegerField(_("customer number"))
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    # Records the law keeps name the customer: the row stays, anonymised.
    anonymised = models.BooleanField(_("anonymised"), default=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasure log")

    def __str__(self) -> str:
        return str(self.customer_number)


class RetentionReview(models.Model):
    """The monthly list of customers without contact for N years
    (``RETENTION_YEARS``): their data may have outlived its purpose and are
    for the owner to review ("Aufbewahrungsfrist abgelaufen"). Nothing is
    deleted by it (customers.services.retention_review_make)."""

    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    years = models.PositiveSmallIntegerField(_("years without contact"))
    # Customers whose last contact was before this day are listed.
    contact_before = models.DateField(_("last contact before"))
    customer_count = models.PositiveIntegerField(_("customers"), default=0)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("retention review")
        verbose_name_plural = _("retention reviews")
        indexes = [models.Index(fields=["-made_at"], name="retention_review_made")]

    def __str__(self) -> str:
        return f"{self.made_at:%Y-%m-%d} ({self.customer_count})"


class RetentionCandidate(models.Model):
    """A customer on a retention review, with the last contact found."""

    # Indexed by the two indexes below, which begin with it.
    review = models.ForeignKey(
        RetentionReview,
        verbose_name=_("retention review"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    last_contact = models.DateField(_("last contact"))

    class Meta:
        verbose_name = _("retention candidate")
        verbose_name_plural = _("retention candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "customer"],
                name="retention_candidate_unique",
                violation_error_message=_("This customer is on the list already."),
            )
        ]
        indexes = [
            # The review's page: oldest contact first, paged by these alone.
            models.Index(
                fields=["review", "last_contact", "customer"], name="retention_candidate_order"
            ),
        ]
