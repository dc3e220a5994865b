import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from documents.storage import document_storage
from opticrm.lib.constraints import CheckConstraint
from opticrm.lib.models import TimeStampedModel

# What is kept, by content (documents.content decides): re-encoded images
# and PDFs that parse.
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class DocumentQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)


class CustomerDocument(TimeStampedModel):
    """A file kept for a customer: an ophthalmologist's prescription, a
    signed consent form, a photo with a frame. The file lies in the
    documents storage under a random key; its uploaded name is kept only
    for the download."""

    class Kind(models.TextChoices):
        PRESCRIPTION = "prescription", pgettext_lazy("document kind", "Prescription")
        CONSENT = "consent", pgettext_lazy("document kind", "Consent form")
        FRAME_PHOTO = "frame_photo", pgettext_lazy("document kind", "Photo with frame")
        OTHER = "other", pgettext_lazy("document kind", "Other")

    # Kinds that are health data (DSGVO Art. 9): the prescription right opens them.
    HEALTH_KINDS = (Kind.PRESCRIPTION,)

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        # The erasure deletes them first, with their files (documents.apps).
        on_delete=models.PROTECT,
        related_name="documents",
        db_index=False,  # document_customer leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.OTHER)
    document_date = models.DateField(_("document date"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    file = models.FileField(_("file"), storage=document_storage, max_length=200)
    # A small JPEG of an image, made once at upload; empty for PDFs.
    thumbnail = models.FileField(
        _("thumbnail"), storage=document_storage, max_length=200, blank=True
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    refraction = models.ForeignKey(
        "prescriptions.Refraction",
        verbose_name=_("refraction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        help_text=_("For a prescription: the refraction entered from it."),
    )
    # A photo with a frame: the frame worn (the customer compares them).
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("frame worn"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"category": "frame"},
    )
    # A PDF's first page is drawn by the worker (documents.tasks): until
    # then the list shows a placeholder. Empty thumbnail and not pending:
    # none could be made (the list shows the PDF icon).
    thumbnail_pending = models.BooleanField(_("thumbnail being made"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-document_date", "-created_at", "-id"]
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")
        indexes = [
            models.Index(
                fields=["customer", "-document_date", "-created_at"], name="document_customer"
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(refraction__isnull=True) | Q(kind="prescription"),
                name="document_refraction_only_prescription",
                violation_error_message=_("Only a prescription can be linked to a refraction."),
                field="refraction",
            ),
            CheckConstraint(
                condition=Q(product__isnull=True) | Q(kind="frame_photo"),
                name="document_product_only_frame_photo",
                violation_error_message=_("Only a photo with a frame names the frame worn."),
                field="product",
            ),
            CheckConstraint(
                condition=Q(content_type__in=CONTENT_TYPES),
                name="document_content_type_known",
                violation_error_message=_("Only JPEG, PNG, WebP and PDF files are kept."),
                field="content_type",
            ),
            CheckConstraint(
                condition=Q(size__gt=0),
                name="document_size_positive",
                violation_error_message=_("The file is empty."),
                field="size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_date:%d.%m.%Y}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_try_on(self) -> bool:
        return self.kind == self.Kind.FRAME_PHOTO and self.is_image

    @property
    def thumbnail_version(self) -> str:
        """Part of the thumbnail's URL: a new thumbnail, a new URL, so the
        browser may keep one for long (its key is random)."""
        name = self.thumbnail.name or ""
        return name.rsplit("/", 1)[-1].split("-", 1)[0][:12]

    @property
    def is_health_data(self) -> bool:
        return self.kind in self.HEALTH_KINDS or self.refraction_id is not None


pghistory.track(exclude=["updated_at"])(CustomerDocument)
