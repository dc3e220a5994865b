"""The rate counters are unlogged: a count is worth nothing after a crash
(the window is minutes long), and a transaction that writes only unlogged
rows does not wait for the write-ahead log to reach the disk. Every API
request counts one (opticrm.lib.ratelimit): it answers that much sooner."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("opticrm", "0001_rate_counter")]

    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE opticrm_ratecounter SET UNLOGGED",
            reverse_sql="ALTER TABLE opticrm_ratecounter SET LOGGED",
        )
    ]
