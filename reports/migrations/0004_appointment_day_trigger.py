"""The operational rollup's upkeep, in the database: a trigger on scheduling_appointment moves an
appointment's count from the row it was counted in to the row it is counted in now, inside the
writing transaction, whatever wrote it (services, admin, data migrations, tests' direct inserts).
`reports_appointmentday_rebuild(location)` recomputes the rollup from the appointments (the
`reports_rollup_rebuild` command; COPY-loaded data, where triggers were off). The last operation
fills it for the appointments already there.

The definitions are the report's (README "Reports"): the local date and lead time in the
location's zone; holds never claimed and the cancelled half of a reschedule are left out. Late
cancellation depends on a setting, so the rollup keeps the notice in whole hours rounded up
(capped at 169): `notice ≤ L hours ⟺ ceil(notice) ≤ L` for a whole L ≤ 168."""

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION reports_appointmentday_key(
    a_start timestamptz, a_end timestamptz, a_room_start timestamptz, a_room_end timestamptz,
    a_created timestamptz, a_cancelled timestamptz, a_status text, zone text
) RETURNS TABLE (day date, lead smallint, notice_hours smallint, visit_micros bigint, room_micros bigint)
LANGUAGE sql STABLE AS $$
    SELECT local_day,
           (CASE WHEN lead_days <= 0 THEN 0 WHEN lead_days <= 7 THEN 1 WHEN lead_days <= 30 THEN 2 ELSE 3 END)::smallint,
           (CASE WHEN a_status = 'cancelled' THEN
               LEAST(169, GREATEST(0, ceil(EXTRACT(EPOCH FROM a_start - COALESCE(a_cancelled, a_start)) / 3600))) END)::smallint,
           (EXTRACT(EPOCH FROM a_end - a_start) * 1000000)::bigint,
           (EXTRACT(EPOCH FROM a_room_end - a_room_start) * 1000000)::bigint
    FROM (SELECT (a_start AT TIME ZONE zone)::date AS local_day,
                 (a_start AT TIME ZONE zone)::date - (a_created AT TIME ZONE zone)::date AS lead_days) x
$$;

-- Add (sign 1) or take away (sign -1) one appointment's count. `moved`: it has a successor
-- (the new half of a reschedule), which leaves a cancelled one out. A row whose count comes to
-- zero is deleted: every visit passes through booked, confirmed, checked in... and would leave
-- an empty row per status behind it for the report to read past. (A concurrent upsert of the
-- same key waits for the row lock and then inserts afresh: ON CONFLICT's guarantee.)
CREATE FUNCTION reports_appointmentday_apply(a scheduling_appointment, sign integer, moved boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    row_id bigint;
    left_n integer;
BEGIN
    IF a.status = 'held' OR a.hold_expires_at IS NOT NULL OR (moved AND a.status = 'cancelled') THEN
        RETURN;
    END IF;
    SELECT time_zone INTO zone FROM clinic_location WHERE id = a.location_id;
    INSERT INTO reports_appointmentday
        (day, location_id, provider_id, room_id, visit_type_id, status, lead, notice_hours, n, visit_micros, room_micros)
    SELECT k.day, a.location_id, a.provider_id, a.room_id, a.visit_type_id, a.status, k.lead, k.notice_hours,
           sign, sign * k.visit_micros, sign * k.room_micros
    FROM reports_appointmentday_key(a.start, a."end", a.room_start, a.room_end, a.created_at, a.cancelled_at, a.status, zone) k
    ON CONFLICT (day, location_id, provider_id, room_id, visit_type_id, status, lead, notice_hours) DO UPDATE
    SET n = reports_appointmentday.n + EXCLUDED.n,
        visit_micros = reports_appointmentday.visit_micros + EXCLUDED.visit_micros,
        room_micros = reports_appointmentday.room_micros + EXCLUDED.room_micros
    RETURNING id, n INTO row_id, left_n;
    IF left_n = 0 THEN
        DELETE FROM reports_appointmentday WHERE id = row_id;
    END IF;
END
$$;

CREATE FUNCTION reports_appointmentday_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p scheduling_appointment;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM reports_appointmentday_apply(OLD, -1,
            EXISTS (SELECT 1 FROM scheduling_appointment s WHERE s.rescheduled_from_id = OLD.id));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM reports_appointmentday_apply(NEW, 1,
            EXISTS (SELECT 1 FROM scheduling_appointment s WHERE s.rescheduled_from_id = NEW.id));
    END IF;
    -- A reschedule's old half leaves the count when a successor points at it (rescheduled_from
    -- is one-to-one: no other successor can keep it out) and comes back when none does.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.rescheduled_from_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR OLD.rescheduled_from_id IS DISTINCT FROM NEW.rescheduled_from_id) THEN
        SELECT * INTO p FROM scheduling_appointment WHERE id = OLD.rescheduled_from_id;
        IF FOUND AND p.status = 'cancelled' THEN
            PERFORM reports_appointmentday_apply(p, 1, false);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.rescheduled_from_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.rescheduled_from_id IS DISTINCT FROM NEW.rescheduled_from_id) THEN
        SELECT * INTO p FROM scheduling_appointment WHERE id = NEW.rescheduled_from_id;
        IF FOUND AND p.status = 'cancelled' THEN
            PERFORM reports_appointmentday_apply(p, -1, false);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- Recompute from the appointments (one location, or all with NULL). Writers wait meanwhile
-- (SHARE ROW EXCLUSIVE conflicts with their ROW EXCLUSIVE and with another rebuild), so no
-- trigger's change is lost or counted twice. Returns the number of rollup rows written.
CREATE FUNCTION reports_appointmentday_rebuild(only_location bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
BEGIN
    LOCK TABLE scheduling_appointment IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM reports_appointmentday WHERE only_location IS NULL OR location_id = only_location;
    INSERT INTO reports_appointmentday
        (day, location_id, provider_id, room_id, visit_type_id, status, lead, notice_hours, n, visit_micros, room_micros)
    SELECT k.day, a.location_id, a.provider_id, a.room_id, a.visit_type_id, a.status, k.lead, k.notice_hours,
           count(*), sum(k.visit_micros), sum(k.room_micros)
    FROM scheduling_appointment a
    JOIN clinic_location l ON l.id = a.location_id
    CROSS JOIN LATERAL reports_appointmentday_key(a.start, a."end", a.room_start, a.room_end, a.created_at, a.cancelled_at, a.status, l.time_zone) k
    WHERE a.status <> 'held' AND a.hold_expires_at IS NULL
      AND NOT (a.status = 'cancelled' AND EXISTS (SELECT 1 FROM scheduling_appointment s WHERE s.rescheduled_from_id = a.id))
      AND (only_location IS NULL OR a.location_id = only_location)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

CREATE FUNCTION reports_appointmentday_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_appointmentday_rebuild(NEW.id);  -- local dates and lead times move with the zone
    RETURN NULL;
END
$$;

CREATE TRIGGER reports_appointmentday_insert AFTER INSERT ON scheduling_appointment
    FOR EACH ROW EXECUTE FUNCTION reports_appointmentday_track();
CREATE TRIGGER reports_appointmentday_delete AFTER DELETE ON scheduling_appointment
    FOR EACH ROW EXECUTE FUNCTION reports_appointmentday_track();
-- Only changes to what the rollup counts by (Django's save() writes every column).
CREATE TRIGGER reports_appointmentday_update AFTER UPDATE ON scheduling_appointment
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.start IS DISTINCT FROM NEW.start
        OR OLD."end" IS DISTINCT FROM NEW."end" OR OLD.room_start IS DISTINCT FROM NEW.room_start
        OR OLD.room_end IS DISTINCT FROM NEW.room_end OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.cancelled_at IS DISTINCT FROM NEW.cancelled_at OR OLD.hold_expires_at IS DISTINCT FROM NEW.hold_expires_at
        OR OLD.provider_id IS DISTINCT FROM NEW.provider_id OR OLD.room_id IS DISTINCT FROM NEW.room_id
        OR OLD.location_id IS DISTINCT FROM NEW.location_id OR OLD.visit_type_id IS DISTINCT FROM NEW.visit_type_id
        OR OLD.rescheduled_from_id IS DISTINCT FROM NEW.rescheduled_from_id
    ) EXECUTE FUNCTION reports_appointmentday_track();
CREATE TRIGGER reports_appointmentday_zone AFTER UPDATE OF time_zone ON clinic_location
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION reports_appointmentday_zone_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS reports_appointmentday_zone ON clinic_location;
DROP TRIGGER IF EXISTS reports_appointmentday_update ON scheduling_appointment;
DROP TRIGGER IF EXISTS reports_appointmentday_delete ON scheduling_appointment;
DROP TRIGGER IF EXISTS reports_appointmentday_insert ON scheduling_appointment;
DROP FUNCTION IF EXISTS reports_appointmentday_zone_changed();
DROP FUNCTION IF EXISTS reports_appointmentday_rebuild(bigint);
DROP FUNCTION IF EXISTS reports_appointmentday_track();
DROP FUNCTION IF EXISTS reports_appointmentday_apply(scheduling_appointment, integer, boolean);
DROP FUNCTION IF EXISTS reports_appointmentday_key(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, text, text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_appointment_day"),
        ("scheduling", "0015_visittype_locations"),
        ("clinic", "0010_travel_time_preferred_location"),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP),
        migrations.RunSQL("SELECT reports_appointmentday_rebuild(NULL)", migrations.RunSQL.noop),
    ]
