"""Background work of customers, run by `manage.py db_worker`."""

from django_tasks import task


@task()
def make_retention_review() -> int:
    """ "Liste jetzt neu erstellen" (customers.services.retention_review_make):
    half a minute at chain scale, too long for a web request. Returns how
    many customers are listed."""
    from customers.services import retention_review_make

    return retention_review_make().customer_count
