"""The counter function finds its table whatever the caller's search_path
(pg_restore runs with an empty one): it keeps the path it was created with.

Note for later migrations: every change to the counted tables now queues a
deferred trigger event, so a migration that changes rows of such a table and
then alters the table in the same transaction fails with "pending trigger
events"; run ``SET CONSTRAINTS ALL IMMEDIATE`` in between, or split it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("live", "0002_count_changes")]

    operations = [
        migrations.RunSQL(
            sql="ALTER FUNCTION live_count_change() SET search_path FROM CURRENT;",
            reverse_sql="ALTER FUNCTION live_count_change() RESET search_path;",
        ),
    ]
