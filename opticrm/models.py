"""Project-wide tables that belong to no single app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """Requests or failures counted for a rate limit (opticrm.lib.ratelimit):
    one row per scope, who (an API key, an address, a user name) and window
    of time, in the database so that every worker and instance shares it."""

    pk = models.CompositePrimaryKey("scope", "ident", "window")
    scope = models.CharField(_("scope"), max_length=20)
    ident = models.CharField(_("counted for"), max_length=200)
    window = models.BigIntegerField(_("time window"))
    hits = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.scope} {self.ident}: {self.hits}"
