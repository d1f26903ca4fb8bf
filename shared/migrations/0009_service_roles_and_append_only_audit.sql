-- Least privilege (issue 14): a login role per service, writing only its own tables and reading
-- other services' data only through the views below; the audit tables append-only for every
-- role, the owner included, by grants and by a trigger. docs/database-roles.md has the table.
--
-- The role that runs migrations owns every table, view and sequence (`postgres` in the embedded
-- server, the database owner `baocao` on CloudNativePG); the service roles own nothing and get
-- no password here: it is set outside migrations (shared/roles.py, or the operator).

-- Roles belong to the cluster, not the database: created only if missing, and another
-- database's migration creating one at the same moment (the test suite clones many databases
-- in one cluster) is not an error.
DO $$
DECLARE
    service_role text;
BEGIN
    FOREACH service_role IN ARRAY
        ARRAY['baocao_intake', 'baocao_validator', 'baocao_aggregator', 'baocao_notifier']
    LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = service_role);
        BEGIN
            EXECUTE format(
                'CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION',
                service_role
            );
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role % does not exist and % may not create it',
                    service_role, current_user
                    USING HINT = 'create the service roles first (CloudNativePG: spec.managed.roles'
                        ' in deploy/k8s/postgres.yaml) or run the migration as a role with'
                        ' CREATEROLE; see docs/database-roles.md';
        END;
    END LOOP;
END
$$;

-- Nobody but the owner creates objects (PostgreSQL 15 and later already revoke this).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public
    TO baocao_intake, baocao_validator, baocao_aggregator, baocao_notifier;

-- A lock exception's revocation was a DELETE, losing who had reopened the report and why. Now a
-- grant is a row that stays, a revocation another row that points at it, and the exception in
-- force for a report is its latest grant unless revoked (whether expired is the reader's
-- question: it depends on the time asked about). The view keeps the old table's name and
-- columns, so readers do not change.
ALTER TABLE lock_exceptions RENAME TO lock_exception_grants;
ALTER TABLE lock_exception_grants DROP CONSTRAINT lock_exceptions_pkey;
ALTER TABLE lock_exception_grants ADD COLUMN id bigserial PRIMARY KEY;
CREATE INDEX lock_exception_grants_by_report
    ON lock_exception_grants (unit, report_type, period, id);
CREATE TABLE lock_exception_revocations (
    grant_id   bigint PRIMARY KEY REFERENCES lock_exception_grants (id),
    revoked_by text,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE VIEW lock_exceptions AS
SELECT g.id, g.unit, g.report_type, g.period, g.granted_by, g.reason, g.granted_at, g.expires_at
FROM lock_exception_grants g
WHERE NOT EXISTS (
        SELECT FROM lock_exception_grants later
        WHERE later.unit = g.unit AND later.report_type = g.report_type
          AND later.period = g.period AND later.id > g.id)
  AND NOT EXISTS (SELECT FROM lock_exception_revocations r WHERE r.grant_id = g.id);

-- A delivery attempt was written before the message left and completed in place after. Now the
-- start and the outcome are two rows; an attempt without an outcome is still "in doubt". The
-- view keeps the old table's name and columns for readers (the notifier's history, operators).
ALTER TABLE notification_attempts RENAME TO notification_attempt_starts;
ALTER SEQUENCE notification_attempts_id_seq RENAME TO notification_attempt_starts_id_seq;
CREATE TABLE notification_attempt_outcomes (
    attempt_id  bigint PRIMARY KEY REFERENCES notification_attempt_starts (id),
    finished_at timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('sent', 'failed', 'dead')),
    error       text,
    http_status integer
);
INSERT INTO notification_attempt_outcomes (attempt_id, finished_at, outcome, error, http_status)
SELECT id, coalesce(finished_at, started_at), outcome, error, http_status
FROM notification_attempt_starts
WHERE outcome IS NOT NULL;
ALTER TABLE notification_attempt_starts
    DROP COLUMN finished_at, DROP COLUMN outcome, DROP COLUMN error, DROP COLUMN http_status;
CREATE VIEW notification_attempts AS
SELECT s.id, s.notice_id, s.channel, s.attempt, s.worker, s.started_at,
       o.finished_at, o.outcome, o.error, o.http_status
FROM notification_attempt_starts s
LEFT JOIN notification_attempt_outcomes o ON o.attempt_id = s.id;

-- What one service reads of another's tables: only these views, so a table can change shape
-- behind its view and a service sees no column it has no use for. A view reads with its
-- owner's rights, so SELECT on it is all a reader needs.
--   verdicts: the validator's verdicts (intake's status read, the aggregator's rebuild).
CREATE VIEW verdicts AS
SELECT submission_id, report_type, period, unit, status, received_at, stream_seq, verdict
FROM submissions;
--   accepted_submissions: which units have an accepted report (the notifier's cancellations).
CREATE VIEW accepted_submissions AS
SELECT submission_id, report_type, period, unit
FROM submissions
WHERE status = 'accepted';
--   current_reports: each unit's report in the rollups (intake's "superseded").
CREATE VIEW current_reports AS
SELECT report_type, period, unit, submission_id
FROM latest_reports;
--   approval_states: where a report stands in approval (the aggregator's exports).
CREATE VIEW approval_states AS
SELECT report_type, period, unit, approved_at, accepted_at
FROM approvals;

-- Append-only audit tables: history is corrected by adding a row, never by rewriting one. The
-- service roles get no UPDATE, DELETE or TRUNCATE on them; this trigger also stops a role that
-- was granted one by mistake, and the owner. (A statement trigger: it fires even when no row
-- matches, and TRUNCATE has no row triggers.) A migration that must rewrite history on purpose
-- disables the trigger and says why.
CREATE FUNCTION refuse_rewriting_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a correction as a new row; see docs/database-roles.md';
END
$$;
DO $$
DECLARE
    audit_table text;
BEGIN
    FOREACH audit_table IN ARRAY ARRAY[
        'receipts', 'submissions', 'approval_log', 'lock_exception_grants',
        'lock_exception_revocations', 'notification_attempt_starts',
        'notification_attempt_outcomes']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewriting_history()',
            audit_table || '_append_only', audit_table
        );
    END LOOP;
END
$$;

-- Shared by all: the unit registry (written by the owner: `baocao migrate`, `baocao registry`)
-- and the applied migrations (every service's /readyz compares them with its own files).
GRANT SELECT ON units, schema_migrations
    TO baocao_intake, baocao_validator, baocao_aggregator, baocao_notifier;

-- Intake: its receipts; the verdicts and current reports for a submission's status.
GRANT SELECT, INSERT ON receipts TO baocao_intake;
GRANT SELECT ON verdicts, current_reports TO baocao_intake;

-- Validator: its verdicts (submissions), approvals and their log, lock exceptions.
GRANT SELECT, INSERT ON submissions, approval_log, lock_exception_grants,
    lock_exception_revocations TO baocao_validator;
GRANT SELECT, INSERT, UPDATE, DELETE ON approvals TO baocao_validator;
GRANT SELECT ON lock_exceptions TO baocao_validator;
GRANT USAGE ON SEQUENCE approval_log_id_seq, lock_exception_grants_id_seq TO baocao_validator;

-- Aggregator (and `baocao rebuild`): its reports and rollups, replaced whole by a rebuild; the
-- verdicts to rebuild from and the approval states for exports.
GRANT SELECT, INSERT, UPDATE, DELETE ON latest_reports, province_rollups TO baocao_aggregator;
GRANT USAGE ON SEQUENCE province_rollup_versions TO baocao_aggregator;
GRANT SELECT ON verdicts, approval_states TO baocao_aggregator;

-- Notifier: its outbox and deliveries (state that moves on), its attempts (history that does
-- not), the units' contacts; which units have reported, to cancel what is no longer due.
GRANT SELECT, INSERT, UPDATE ON notifications, notification_deliveries TO baocao_notifier;
GRANT SELECT, INSERT ON notification_attempt_starts, notification_attempt_outcomes
    TO baocao_notifier;
GRANT SELECT ON notification_attempts, accepted_submissions TO baocao_notifier;
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts TO baocao_notifier;
GRANT USAGE ON SEQUENCE notification_attempt_starts_id_seq TO baocao_notifier;
