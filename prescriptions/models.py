"""Refractions and contact lens fittings: health data (DSGVO Art. 9), kept as
an append-only history. A correction is a new record that replaces the old
one; the old one stays, marked as superseded by whom and when."""

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel
from prescriptions import rules, validators
from prescriptions.choices import PrismBaseHorizontal, PrismBaseVertical, Replacement
from prescriptions.eyes import SIDES, EyeValues

CURRENT = Q(superseded_at__isnull=True)


def _dioptre(label, validator, **extra) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validator],
        **extra,
    )


def _millimetres(label, validator, max_digits=4) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=max_digits,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validator],
    )


def _axis() -> models.PositiveSmallIntegerField:
    message = _("The axis is a whole number of degrees from 0 to 180.")
    return models.PositiveSmallIntegerField(
        _("axis"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message), MaxValueValidator(180, message)],
    )


def refraction_eye_fields(side: str) -> dict[str, models.Field]:
    return {
        f"{side}_sphere": _dioptre(_("sphere"), validators.sphere),
        f"{side}_cylinder": _dioptre(_("cylinder"), validators.cylinder),
        f"{side}_axis": _axis(),
        f"{side}_addition": _dioptre(_("addition"), validators.addition),
        f"{side}_prism_horizontal": _dioptre(_("prism horizontal"), validators.prism),
        f"{side}_prism_horizontal_base": models.CharField(
            _("base horizontal"), max_length=4, blank=True, choices=PrismBaseHorizontal
        ),
        f"{side}_prism_vertical": _dioptre(_("prism vertical"), validators.prism),
        f"{side}_prism_vertical_base": models.CharField(
            _("base vertical"), max_length=4, blank=True, choices=PrismBaseVertical
        ),
        f"{side}_visus_sc": models.DecimalField(
            _("visual acuity without correction"),
            max_digits=3,
            decimal_places=2,
            null=True,
            blank=True,
            validators=[validators.visus],
        ),
        f"{side}_visus_cc": models.DecimalField(
            _("visual acuity with correction"),
            max_digits=3,
            decimal_places=2,
            null=True,
            blank=True,
            validators=[validators.visus],
        ),
        f"{side}_pd": _millimetres(_("pupillary distance"), validators.monocular_pd),
    }


def fitting_eye_fields(side: str) -> dict[str, models.Field]:
    return {
        f"{side}_product": models.ForeignKey(
            "products.Product",
            verbose_name=_("lens"),
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="+",
            limit_choices_to={"category": "contact_lens"},
        ),
        f"{side}_base_curve": _millimetres(_("base curve"), validators.base_curve),
        f"{side}_diameter": _millimetres(_("diameter"), validators.diameter),
        f"{side}_sphere": _dioptre(_("sphere"), validators.sphere),
        f"{side}_cylinder": _dioptre(_("cylinder"), validators.cylinder),
        f"{side}_axis": _axis(),
        f"{side}_addition": _dioptre(_("addition"), validators.addition),
        f"{side}_replacement": models.CharField(
            _("replacement"), max_length=12, blank=True, choices=Replacement
        ),
    }


def _record_constraints(prefix: str) -> list[CheckConstraint]:
    """What the database itself guarantees, whatever path writes: at least one
    eye, and per eye minus-cylinder notation and an axis 1…180 exactly with a
    cylinder."""
    constraints = [
        CheckConstraint(
            condition=Q(right_sphere__isnull=False) | Q(left_sphere__isnull=False),
            name=f"{prefix}_one_eye",
            violation_error_message=_("Please enter the values of at least one eye."),
        )
    ]
    for side in SIDES:
        cylinder, axis = f"{side}_cylinder", f"{side}_axis"
        constraints += [
            CheckConstraint(
                condition=Q(**{f"{cylinder}__lt": 0}) | Q(**{f"{cylinder}__isnull": True}),
                name=f"{prefix}_{side}_minus_cylinder",
                # Plus cylinders are valid input, transposed on the way in
                # (services._normalise_eye); this shows only when that could
                # not happen because another value of the eye is wrong.
                violation_error_message=_(
                    "Please correct sphere and axis of this eye; the cylinder is then "
                    "converted to minus notation."
                ),
                field=cylinder,
            ),
            CheckConstraint(
                condition=Q(**{f"{cylinder}__isnull": True, f"{axis}__isnull": True})
                | Q(**{f"{cylinder}__isnull": False, f"{axis}__range": (1, 180)}),
                name=f"{prefix}_{side}_axis_with_cylinder",
                violation_error_message=_(
                    "With a cylinder, please enter an axis from 1 to 180°; without one, "
                    "leave the axis empty."
                ),
                field=axis,
            ),
        ]
    return constraints


class Record(TimeStampedModel):
    """What refractions and fittings share: who measured when, and the
    correction history."""

    date = models.DateField(_("date"))
    examiner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examiner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # RESTRICT, not PROTECT: an old version cannot be deleted on its own, but
    # erasing the customer (CASCADE) takes the whole history with it.
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        editable=False,
        related_name="replaced_by",
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True, editable=False)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("superseded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None

    def eye(self, side: str) -> EyeValues:
        return EyeValues.of(self, side)

    @property
    def eyes(self) -> list[EyeValues]:
        return [self.eye(side) for side in SIDES]

    def clean(self) -> None:
        errors = rules.record_errors(self)
        if errors:
            raise ValidationError(errors)
        rules.normalise(self)


class Refraction(Record):
    """Cylinders are stored in minus-cylinder notation (cylinder < 0); plus
    cylinders are transposed on the way in (services._normalise_eye)."""

    class Kind(models.TextChoices):
        SUBJECTIVE = "subjective", _("Subjective refraction")
        OBJECTIVE = "objective", _("Objective refraction (autorefractor)")
        EXTERNAL = "external", _("External prescription")
        CURRENT_GLASSES = "current_glasses", _("Current glasses")

    # Indexed by refraction_customer_date, which leads with the customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="refractions",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.SUBJECTIVE)
    prescriber = models.CharField(
        _("prescribed by"),
        max_length=200,
        blank=True,
        help_text=_("For an external prescription: the ophthalmologist or optician."),
    )
    vertex_distance = _millimetres(_("vertex distance"), validators.vertex_distance)
    binocular_notes = models.TextField(_("binocular notes"), blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name = _("refraction")
        verbose_name_plural = _("refractions")
        constraints = _record_constraints("refraction")
        indexes = [
            # The history on the customer page and the recall filter.
            models.Index(
                fields=["customer", "-date", "-created_at"], name="refraction_customer_date"
            ),
            models.Index(
                fields=["customer", "-date"], name="refraction_current_date", condition=CURRENT
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d.%m.%Y}"


class ContactLensFitting(Record):
    """Cylinders in minus-cylinder notation, as for refractions."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_lens_fittings",
        db_index=False,
    )
    wearing_notes = models.TextField(_("wearing notes"), blank=True)

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name = _("contact lens fitting")
        verbose_name_plural = _("contact lens fittings")
        constraints = _record_constraints("fitting")
        indexes = [
            models.Index(fields=["customer", "-date", "-created_at"], name="fitting_customer_date"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.date:%d.%m.%Y}"

    def clean(self) -> None:
        super().clean()
        errors = rules.lens_errors(self)
        if errors:
            raise ValidationError(errors)


# Both eyes carry the same columns; generating them keeps R and L identical.
for _side in SIDES:
    for _name, _field in refraction_eye_fields(_side).items():
        Refraction.add_to_class(_name, _field)
    for _name, _field in fitting_eye_fields(_side).items():
        ContactLensFitting.add_to_class(_name, _field)
# Tracked after the eye fields exist, so the history copies them too.
pghistory.track(exclude=["updated_at"])(Refraction)
pghistory.track(exclude=["updated_at"])(ContactLensFitting)


class HealthDataAccess(models.Model):
    """Who was shown which customer's refractions and fittings, when and
    where (DSGVO Art. 9 and 32): the owner reads it in the admin. The
    customer by number only, so that the entry outlives an erasure without
    keeping personal data. A reload within ACCESS_REPEAT_MINUTES is the
    same access (prescriptions.services.health_data_opened)."""

    class Where(models.TextChoices):
        CUSTOMER_PAGE = "customer_page", _("customer page")
        CARD = "card", _("Brillenpass")
        FORM = "form", _("correction form")
        ADMIN = "admin", _("admin")
        ACCESS_REPORT = "access_report", _("access report")
        # A file of many customers' refractions: no single customer number.
        EXPORT = "export", _("refraction export")
        # An order's copy of the values (its page and documents).
        ORDER = "order", _("order")

    customer_number = models.PositiveIntegerField(_("customer number"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    where = models.CharField(_("where"), max_length=20, choices=Where)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("health data access")
        verbose_name_plural = _("health data accesses")
        indexes = [
            models.Index(fields=["-at"], name="healthaccess_at"),
            # The repeat check and the log of one customer.
            models.Index(
                fields=["customer_number", "user", "where", "-at"], name="healthaccess_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number}, {self.get_where_display()}"
