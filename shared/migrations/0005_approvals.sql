-- Approval, bottom-up as in DHIS2. A province approves its data for a (report type, period):
-- a row for the province covers its communes' reports and its own; a row for one commune covers
-- that commune only. While a row exists the validator refuses revisions (period_locked). Central
-- then accepts a province's approved data (accepted_*). Unapproving deletes the row; an accepted
-- row must be unaccepted by Central first.
CREATE TABLE approvals (
    report_type text NOT NULL,
    period      text NOT NULL,
    unit        text NOT NULL,
    approved_by text NOT NULL,
    approved_at timestamptz NOT NULL,
    accepted_by text,
    accepted_at timestamptz,
    PRIMARY KEY (report_type, period, unit),
    CHECK ((accepted_by IS NULL) = (accepted_at IS NULL))
);

-- Every step, with who took it, when and (to undo one) why. Never updated or deleted.
CREATE TABLE approval_log (
    id          bigserial PRIMARY KEY,
    report_type text NOT NULL,
    period      text NOT NULL,
    unit        text NOT NULL,
    action      text NOT NULL CHECK (action IN ('approve', 'unapprove', 'accept', 'unaccept')),
    actor       text NOT NULL,
    reason      text,
    at          timestamptz NOT NULL,
    CHECK (action IN ('approve', 'accept') OR length(btrim(coalesce(reason, ''))) > 0)
);
CREATE INDEX approval_log_by_report ON approval_log (report_type, period, unit, at);

-- The validator's audit read, GET /v1/units/{unit}/submissions: one unit's submissions, newest
-- first, paged by (received_at, stream_seq, submission_id). Without it the read scans every
-- submission in the country.
CREATE INDEX submissions_by_unit ON submissions (unit, received_at DESC, stream_seq DESC, submission_id DESC);
