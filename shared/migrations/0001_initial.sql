-- The unit registry. A code is never deleted or reused: a closed unit keeps its row with
-- valid_to set and, after a merger, its successor.
CREATE TABLE units (
    code        text PRIMARY KEY CHECK (code ~ '^(VN|[0-9]{2}|[0-9]{5})$'),
    name        text NOT NULL CHECK (name IS NFC NORMALIZED),
    level       text NOT NULL CHECK (level IN ('central', 'province', 'commune')),
    kind        text NOT NULL,
    parent_code text REFERENCES units (code),
    valid_from  date NOT NULL,
    valid_to    date,
    successor_code text REFERENCES units (code),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX units_parent ON units (parent_code);

-- Intake: one receipt per submission that came in over HTTP.
CREATE TABLE receipts (
    submission_id text PRIMARY KEY,
    unit          text NOT NULL,
    report_type   text NOT NULL,
    period        text NOT NULL,
    received_at   timestamptz NOT NULL,
    stream_seq    bigint NOT NULL
);

-- Validator: one verdict per submission id, whatever path it came by. The row is the
-- validator's tracking record: a redelivered or re-sent submission finds it and is not judged
-- twice; its stored verdict is published again instead.
CREATE TABLE submissions (
    submission_id text PRIMARY KEY,
    report_type   text NOT NULL,
    period        text NOT NULL,
    unit          text NOT NULL,
    province      text,
    status        text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    timeliness    text CHECK (timeliness IN ('on_time', 'late')),
    received_at   timestamptz NOT NULL,
    validated_at  timestamptz NOT NULL,
    stream_seq    bigint NOT NULL,
    verdict       jsonb NOT NULL
);
CREATE INDEX submissions_by_report ON submissions (report_type, period, unit) WHERE status = 'accepted';

-- Aggregator: the latest accepted submission per (report type, period, unit). "Latest" is by
-- intake receipt time, then JetStream sequence (the order of storage), whatever order events
-- arrive in.
CREATE TABLE latest_reports (
    report_type   text NOT NULL,
    period        text NOT NULL,
    unit          text NOT NULL,
    province      text NOT NULL,
    submission_id text NOT NULL,
    received_at   timestamptz NOT NULL,
    stream_seq    bigint NOT NULL,
    timeliness    text NOT NULL CHECK (timeliness IN ('on_time', 'late')),
    "values"      jsonb NOT NULL,
    PRIMARY KEY (report_type, period, unit)
);
CREATE INDEX latest_reports_by_province ON latest_reports (report_type, period, province);

-- Aggregator: one row per (report type, period, province), recomputed from latest_reports under
-- the row's lock. Central is summed from these 34 rows on read, so no row is written by every
-- submission in the country.
CREATE TABLE province_rollups (
    report_type text NOT NULL,
    period      text NOT NULL,
    province    text NOT NULL,
    sums        jsonb NOT NULL,
    counts      jsonb NOT NULL,
    expected    integer NOT NULL,
    submitted   integer NOT NULL,
    on_time     integer NOT NULL,
    late        integer NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (report_type, period, province)
);

-- Notifier: an outbox of reminders and escalations, one row per (unit, report type, period,
-- stage). The primary key is the at-most-once guarantee; sent_at marks delivery to JetStream.
CREATE TABLE notifications (
    unit        text NOT NULL,
    report_type text NOT NULL,
    period      text NOT NULL,
    stage       text NOT NULL CHECK (stage IN ('reminder', 'escalation')),
    recipient   text NOT NULL,
    deadline    timestamptz NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    PRIMARY KEY (unit, report_type, period, stage)
);
CREATE INDEX notifications_unsent ON notifications (created_at) WHERE sent_at IS NULL;
