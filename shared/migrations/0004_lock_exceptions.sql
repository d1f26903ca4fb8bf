-- A province may reopen one commune's report for a period that has locked (DHIS2's
-- "unapprove"): the validator then accepts that unit's reports for that period again until
-- expires_at. Who granted it, when and why are kept; an exception is revoked by deleting its
-- row, which the validator's API records in the log.
CREATE TABLE lock_exceptions (
    unit        text NOT NULL,
    report_type text NOT NULL,
    period      text NOT NULL,
    granted_by  text NOT NULL,
    reason      text NOT NULL CHECK (length(btrim(reason)) > 0),
    granted_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    PRIMARY KEY (unit, report_type, period)
);
