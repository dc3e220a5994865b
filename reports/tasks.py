"""Background work of the reports, run by `manage.py db_worker`."""

from django_tasks import task


@task()
def refresh_customer_figures() -> str:
    """The customer report's snapshot counted anew (reports.services)."""
    from reports.services import customer_figures_refresh

    done = customer_figures_refresh()
    return done.isoformat() if done else ""
