from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key an integration sends as ``Authorization: Bearer <key>``. Only a
    SHA-256 hash is stored: the key is shown once, when it is created."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses the key, e.g. “Online booking”.")
    )
    prefix = models.CharField(_("key begins with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(
        _("read only"), default=False, help_text=_("The key may read, but not change anything.")
    )
    health_data = models.BooleanField(
        _("may read health data"),
        default=False,
        help_text=_(
            "The key sees the customer's notes field “prescription”, which may still hold "
            "prescription text from the old system (health data)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
