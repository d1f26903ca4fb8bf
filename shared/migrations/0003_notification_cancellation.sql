-- Notices beyond reminders and escalations, and notices that are no longer due.
--
-- A notice is now identified by its notice_id (stage:report_type:period:unit for reminders and
-- escalations, as before; rejection:<submission_id> for a rejection notice, of which a unit may
-- get several for one period). The id is the primary key, so a verdict redelivered days later
-- still cannot send its notice twice.
ALTER TABLE notifications ADD COLUMN notice_id text;
UPDATE notifications SET notice_id = stage || ':' || report_type || ':' || period || ':' || unit;
ALTER TABLE notifications ALTER COLUMN notice_id SET NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_pkey;
ALTER TABLE notifications ADD PRIMARY KEY (notice_id);
CREATE INDEX notifications_by_report ON notifications (report_type, period, unit);
ALTER TABLE notifications DROP CONSTRAINT notifications_stage_check;
ALTER TABLE notifications ADD CHECK (stage IN ('reminder', 'escalation', 'rejection'));
-- A rejection of a report type outside the catalog has no deadline to name.
ALTER TABLE notifications ALTER COLUMN deadline DROP NOT NULL;
-- The trace the notice continues (a rejection's report), as W3C trace-context headers.
ALTER TABLE notifications ADD COLUMN trace_carrier jsonb;

-- A reminder or escalation scheduled before the unit's report arrived must not go out after it:
-- the notifier cancels such rows when the verdict arrives, and again before each relay (for a
-- report accepted while the round that scheduled the notice was running). A row already claimed
-- is locked, so a cancellation waits for the send to commit and then finds the row sent: a
-- notice is either sent or cancelled, never both.
ALTER TABLE notifications ADD COLUMN cancelled_at timestamptz;
ALTER TABLE notifications ADD CHECK (sent_at IS NULL OR cancelled_at IS NULL);
DROP INDEX notifications_unsent;
CREATE INDEX notifications_unsent ON notifications (created_at)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
