"""The appointments by day, type and staff member, kept by the database
(docs/rules.md "Reports"): an appointment changes after it is booked (its
status, time, type or staff member), so each INSERT adds the new row, each
DELETE takes the old row out, and each UPDATE of a counted column does
both, in the same transaction. One function holds the rule
(reports_appointment_add: each appointment counts in its day's row of its
type and in its day's row of its staff member); reports_appointment_fill recomputes the whole
table from the appointments (the backfill here and the benchmark's load,
which copies past triggers). reports.tests.test_appointments computes the
same from the raw appointments in Python and compares.

The day is the start's day in the shop's time zone (settings.TIME_ZONE
when this migration ran); the minutes are end less start in whole minutes,
counted for every status but cancelled."""

from django.conf import settings
from django.db import migrations

ZONE = settings.TIME_ZONE.replace("'", "")

ADD = f"""
CREATE OR REPLACE FUNCTION reports_appointment_add(a appointments_appointment, sign integer)
RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
    INSERT INTO reports_appointmentday AS r
        (day, type_id, staff_id, booked, done, no_show, cancelled, minutes)
    SELECT (a.start AT TIME ZONE '{ZONE}')::date, type_id, staff_id, sign,
           CASE WHEN a.status = 'done' THEN sign ELSE 0 END,
           CASE WHEN a.status = 'no_show' THEN sign ELSE 0 END,
           CASE WHEN a.status = 'cancelled' THEN sign ELSE 0 END,
           CASE WHEN a.status = 'cancelled' THEN 0
                ELSE sign * (floor(extract(epoch FROM a."end" - a.start) / 60))::integer END
    FROM (VALUES (a.type_id, NULL::integer), (NULL::bigint, a.staff_id)) AS k (type_id, staff_id)
    ORDER BY type_id NULLS LAST
    ON CONFLICT (day, type_id, staff_id) DO UPDATE SET
        booked = r.booked + EXCLUDED.booked,
        done = r.done + EXCLUDED.done,
        no_show = r.no_show + EXCLUDED.no_show,
        cancelled = r.cancelled + EXCLUDED.cancelled,
        minutes = r.minutes + EXCLUDED.minutes;
    -- A row whose last appointment left it goes (a staff member moved
    -- away from can be deleted later: no row names them).
    DELETE FROM reports_appointmentday
    WHERE day = (a.start AT TIME ZONE '{ZONE}')::date AND booked = 0
          AND (type_id = a.type_id OR staff_id = a.staff_id);
$$;

CREATE OR REPLACE FUNCTION reports_appointment_change() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_appointment_add(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM reports_appointment_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reports_appointment_insert_delete
AFTER INSERT OR DELETE ON appointments_appointment
FOR EACH ROW EXECUTE FUNCTION reports_appointment_change();

CREATE TRIGGER reports_appointment_update
AFTER UPDATE OF start, "end", status, type_id, staff_id ON appointments_appointment
FOR EACH ROW WHEN (
    (OLD.start, OLD."end", OLD.status, OLD.type_id, OLD.staff_id)
    IS DISTINCT FROM (NEW.start, NEW."end", NEW.status, NEW.type_id, NEW.staff_id)
)
EXECUTE FUNCTION reports_appointment_change();

CREATE OR REPLACE FUNCTION reports_appointment_fill() RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    DELETE FROM reports_appointmentday;
    INSERT INTO reports_appointmentday
        (day, type_id, staff_id, booked, done, no_show, cancelled, minutes)
    SELECT day, type_id, staff_id, count(*),
           count(*) FILTER (WHERE status = 'done'),
           count(*) FILTER (WHERE status = 'no_show'),
           count(*) FILTER (WHERE status = 'cancelled'),
           coalesce(sum(minutes) FILTER (WHERE status <> 'cancelled'), 0)
    FROM (
        SELECT (start AT TIME ZONE '{ZONE}')::date AS day, type_id, staff_id, status,
               floor(extract(epoch FROM "end" - start) / 60) AS minutes
        FROM appointments_appointment
    ) AS a
    GROUP BY GROUPING SETS ((day, type_id), (day, staff_id));
$$;

SELECT reports_appointment_fill();
"""

DROP = """
DROP TRIGGER IF EXISTS reports_appointment_update ON appointments_appointment;
DROP TRIGGER IF EXISTS reports_appointment_insert_delete ON appointments_appointment;
DROP FUNCTION IF EXISTS reports_appointment_fill();
DROP FUNCTION IF EXISTS reports_appointment_change();
DROP FUNCTION IF EXISTS reports_appointment_add(appointments_appointment, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_appointment_day")]

    operations = [migrations.RunSQL(sql=ADD, reverse_sql=DROP)]
