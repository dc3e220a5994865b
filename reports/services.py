"""The one write of the reports app: the customer snapshot (models.
CustomerFigure). Every other summary table is kept by the database in the
transaction of each change; a customer's figures (status, insurer, age)
change with every edit of a million rows, so they are counted anew by the
task queue instead, and the report says when ("Stand")."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reports.models import CUSTOMER_SNAPSHOT, Snapshot

# Any number: the key of the transaction lock that lets one refresh run at a time.
_LOCK = 300_001

# Counted in one pass over the customers: the snapshot's dimensions
# (models.Dimension). Deleted customers (deleted_at set, erased ones too)
# only count as created on their day.
_REFRESH = """
INSERT INTO reports_customerfigure (dimension, key, day, count)
SELECT dimension, key, day, count FROM (
    SELECT
        CASE GROUPING(status, insurance_provider_id, date_of_birth, created)
            WHEN 7 THEN 'status' WHEN 11 THEN 'insurer' WHEN 13 THEN 'birth' ELSE 'created'
        END AS dimension,
        CASE
            WHEN GROUPING(status) = 0 THEN status
            WHEN GROUPING(insurance_provider_id) = 0 THEN coalesce(insurance_provider_id::text, '')
            ELSE ''
        END AS key,
        CASE
            WHEN GROUPING(date_of_birth) = 0 THEN date_of_birth
            WHEN GROUPING(created) = 0 THEN created
        END AS day,
        CASE
            WHEN GROUPING(created) = 0 THEN count(*)
            ELSE count(*) FILTER (WHERE alive)
        END AS count
    FROM (
        SELECT status, insurance_provider_id, date_of_birth, deleted_at IS NULL AS alive,
               (created_at AT TIME ZONE %(zone)s)::date AS created
        FROM customers_customer
    ) c
    GROUP BY GROUPING SETS ((status), (insurance_provider_id), (date_of_birth), (created))
) figures
WHERE count > 0
"""


def customer_figures_refresh() -> datetime.datetime | None:
    """Count the customers anew (models.CustomerFigure) and note when;
    the old figures stay readable until the new ones are committed. Returns
    the time, or None when another refresh is running (it counts the same)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK])
        if not cursor.fetchone()[0]:
            return None
        now = timezone.now()
        cursor.execute("DELETE FROM reports_customerfigure")
        cursor.execute(_REFRESH, {"zone": settings.TIME_ZONE})
        Snapshot.objects.update_or_create(name=CUSTOMER_SNAPSHOT, defaults={"refreshed_at": now})
    return now


def customer_figures_due(*, now: datetime.datetime | None = None) -> bool:
    """Whether the snapshot is older than CUSTOMER_FIGURES_MINUTES (or has
    never been made)."""
    now = now or timezone.now()
    age = datetime.timedelta(minutes=settings.CUSTOMER_FIGURES_MINUTES)
    return not Snapshot.objects.filter(name=CUSTOMER_SNAPSHOT, refreshed_at__gt=now - age).exists()
