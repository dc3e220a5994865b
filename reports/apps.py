from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Auswertungen (issue 30): figures over a period, read from summary
    tables the database keeps as invoices are issued and appointments
    booked, and from the customer snapshot the task queue recounts."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from opticrm.lib import schedule

        schedule.register(schedule.Job(name="customer figures", run=_customer_figures))


def _customer_figures() -> str:
    """Each tick: when the snapshot is older than CUSTOMER_FIGURES_MINUTES,
    the worker counts anew (a second of a chain's database, not the
    scheduler's)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from reports.services import customer_figures_due
    from reports.tasks import refresh_customer_figures

    if not customer_figures_due():
        return ""
    # One in the queue is enough: a worker that is behind gets no pile.
    waiting = DBTaskResult.objects.filter(
        task_path=refresh_customer_figures.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    if waiting.exists():
        return ""
    refresh_customer_figures.enqueue()
    return "customer figures queued"
