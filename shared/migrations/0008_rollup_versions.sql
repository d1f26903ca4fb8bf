-- Every write of a province rollup takes a new number from one sequence, so a reader can tell
-- whether a province's rows changed since it last computed something from them (the period
-- totals built from units' reports are cached on it). A sequence, not a counter per row: a
-- rebuild deletes and re-inserts rows, and their new numbers must still be new.
CREATE SEQUENCE province_rollup_versions;
ALTER TABLE province_rollups
    ADD COLUMN version bigint NOT NULL DEFAULT nextval('province_rollup_versions');
