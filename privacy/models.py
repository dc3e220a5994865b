from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessReport(models.Model):
    """That an access report (DSGVO Art. 15) was made: who made one for
    which customer number and when, to show that requests were answered
    (Art. 5 (2)). Not its contents, and no personal data: the entry stays
    when the customer is erased."""

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        JSON = "json", _("JSON")

    customer_number = models.PositiveIntegerField(_("customer number"))
    file_format = models.CharField(_("format"), max_length=4, choices=Format)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access report")
        verbose_name_plural = _("access reports")
        indexes = [
            models.Index(fields=["customer_number", "-created_at"], name="accessreport_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} ({self.get_file_format_display()})"
