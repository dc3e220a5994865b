from django.db import models
from django.utils.translation import gettext_lazy as _

from opticrm.lib.constraints import CheckConstraint


class ChangeCounter(models.Model):
    """One row: per topic, how many committed transactions changed it.

    Written only by database triggers (migration 0002), so changes made by
    the admin, the API, a management command or plain SQL all count. Open
    pages compare these numbers instead of asking for their data again.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    customer = models.BigIntegerField(_("customers"), default=0, db_default=0)
    appointment = models.BigIntegerField(_("appointments"), default=0, db_default=0)
    product = models.BigIntegerField(_("products"), default=0, db_default=0)
    prescription = models.BigIntegerField(_("prescriptions"), default=0, db_default=0)

    class Meta:
        verbose_name = _("change counter")
        verbose_name_plural = _("change counters")
        constraints = [
            CheckConstraint(
                condition=models.Q(id=1),
                name="live_single_row",
                violation_error_message=_("There is only one change counter."),
            )
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
