-- The notifier on every channel (issue 7): reminder policies from the catalog, digests, e-mail
-- and webhooks besides NATS, each message exactly once per channel, every attempt on record.
--
-- A row of `notifications` is now one notice: its id is
-- `<stage>:<report type>:<period>:<level>:<recipient>` for a policy step (stage `unit-3`,
-- `parent+1`, `central+3`, ...) and `rejection:<submission_id>` for a rejection, so the primary
-- key is the at-most-once guarantee per (recipient, report type, period, stage). How it reaches
-- the recipient is in `notification_deliveries`, one row per (notice, channel): the exactly-once
-- key is therefore (unit, report type, period, stage, channel).
ALTER TABLE notifications DROP CONSTRAINT notifications_stage_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_stage_check
    CHECK (stage ~ '^(rejection|reminder|escalation|(unit|parent|central)[+-][0-9]{1,2})$');
-- reminder (to the late unit) | escalation (a digest to its parent or Central) | rejection.
ALTER TABLE notifications ADD COLUMN kind text;
UPDATE notifications SET kind = stage, payload = payload || jsonb_build_object('kind', stage);
ALTER TABLE notifications ALTER COLUMN kind SET NOT NULL;
ALTER TABLE notifications ADD CHECK (kind IN ('reminder', 'escalation', 'rejection'));
-- The level whose deadline the notice is about (null for rejections and rows before 0006).
ALTER TABLE notifications ADD COLUMN level text;
-- The units whose missing report the notice is about: once every one of them has an accepted
-- report, whatever is still unsent is cancelled. Empty for a rejection (never cancelled).
ALTER TABLE notifications ADD COLUMN about text[] NOT NULL DEFAULT '{}';
UPDATE notifications SET about = ARRAY[unit] WHERE stage <> 'rejection';
-- Each delivery carries its own state; sent_at still says when the notice went out on NATS,
-- and cancelled_at that it was cancelled on every channel before any sent it.
CREATE INDEX notifications_by_recipient ON notifications (recipient, created_at);
CREATE INDEX notifications_by_unit ON notifications (unit, created_at);

-- One row per (notice, channel). A replica claims pending rows with FOR UPDATE SKIP LOCKED and
-- a lease (claimed_by, claimed_until, in real time): a killed replica's claims expire and
-- another takes them over. Before each send the holder renews its lease and counts the attempt
-- in one statement that only succeeds while it still holds the claim, so two replicas never
-- send the same delivery.
CREATE TABLE notification_deliveries (
    notice_id     text NOT NULL REFERENCES notifications (notice_id),
    channel       text NOT NULL CHECK (channel IN ('nats', 'email', 'webhook')),
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'cancelled', 'dead')),
    -- System time (the injectable clock): e-mail waits for the end of quiet hours.
    not_before    timestamptz NOT NULL,
    -- Real time: the next attempt after a failure (exponential backoff with jitter).
    retry_at      timestamptz NOT NULL DEFAULT '-infinity',
    attempts      integer NOT NULL DEFAULT 0,
    claimed_by    text,
    claimed_until timestamptz,
    closed_at     timestamptz,
    last_error    text,
    PRIMARY KEY (notice_id, channel),
    CHECK ((status = 'pending') = (closed_at IS NULL))
);
CREATE INDEX notification_deliveries_pending ON notification_deliveries (not_before)
    WHERE status = 'pending';

-- Notices from before 0006 went to NATS only.
INSERT INTO notification_deliveries (notice_id, channel, status, not_before, closed_at, attempts)
SELECT notice_id, 'nats',
       CASE WHEN sent_at IS NOT NULL THEN 'sent'
            WHEN cancelled_at IS NOT NULL THEN 'cancelled' ELSE 'pending' END,
       created_at, coalesce(sent_at, cancelled_at),
       CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END
FROM notifications;

-- Every attempt, written before the message leaves (outcome null) and completed after: an
-- attempt whose outcome stays null was cut short by a crash and is "in doubt".
CREATE TABLE notification_attempts (
    id          bigserial PRIMARY KEY,
    notice_id   text NOT NULL,
    channel     text NOT NULL,
    attempt     integer NOT NULL,
    worker      text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('sent', 'failed', 'dead')),
    error       text,
    http_status integer,
    FOREIGN KEY (notice_id, channel) REFERENCES notification_deliveries (notice_id, channel)
);
CREATE INDEX notification_attempts_by_delivery ON notification_attempts (notice_id, channel, id);

-- Each unit's directory of contacts. NATS (`notify.<unit>`) needs no entry: it is always on.
CREATE TABLE contacts (
    unit           text PRIMARY KEY REFERENCES units (code),
    emails         text[] NOT NULL DEFAULT '{}',
    webhook_url    text,
    webhook_secret text,
    updated_by     text NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL))
);
