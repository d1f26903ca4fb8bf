-- Signed submissions (issue 14, docs/signatures.md): each unit's public signing keys with the
-- time each was valid, the date from which a unit's reports must be signed, and the bytes of
-- every signed submission, so its signature can be checked years later, long after the REPORTS
-- stream (550 days) has let the message go.

-- A unit's keys. Registered by the owner (`baocao signing-key`), never deleted: a rotation sets
-- valid_to, a revocation (a key compromised) revoked_at, each once; an old signature is checked
-- against the key valid when it was made. Key ids are the unit's own (the primary key), and a
-- public key signs for one unit only.
CREATE TABLE unit_signing_keys (
    unit           text NOT NULL REFERENCES units (code),
    key_id         text NOT NULL CHECK (key_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
    -- The raw 32-byte Ed25519 public key, base64url without padding.
    public_key     text NOT NULL UNIQUE CHECK (public_key ~ '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$'),
    valid_from     timestamptz NOT NULL,
    valid_to       timestamptz,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IS NFC NORMALIZED),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit, key_id),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

-- What identifies a key and when it became valid never changes; valid_to and the revocation
-- are set once. (The statement trigger of 0009 refuses DELETE and TRUNCATE, for the owner too.)
CREATE FUNCTION refuse_rewriting_signing_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.unit, NEW.key_id, NEW.public_key, NEW.valid_from, NEW.created_at)
            IS DISTINCT FROM (OLD.unit, OLD.key_id, OLD.public_key, OLD.valid_from, OLD.created_at)
        OR (OLD.valid_to IS NOT NULL AND NEW.valid_to IS DISTINCT FROM OLD.valid_to)
        OR (OLD.revoked_at IS NOT NULL
            AND (NEW.revoked_at, NEW.revoked_reason)
                IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_reason))
    THEN
        RAISE EXCEPTION 'unit_signing_keys: only valid_to and the revocation may be set, once each'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'register a new key instead; see docs/signatures.md';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER unit_signing_keys_set_once BEFORE UPDATE ON unit_signing_keys
    FOR EACH ROW EXECUTE FUNCTION refuse_rewriting_signing_keys();
CREATE TRIGGER unit_signing_keys_append_only BEFORE DELETE OR TRUNCATE ON unit_signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewriting_history();

-- The transition: from required_from on, a unit's unsigned reports are refused. A unit without
-- a row follows the validator's VALIDATOR_SIGNATURES_REQUIRED_FROM. A setting, not history: it
-- is changed in place (`baocao signing-key policy`).
CREATE TABLE unit_signature_policy (
    unit          text PRIMARY KEY REFERENCES units (code),
    required_from timestamptz NOT NULL,
    set_at        timestamptz NOT NULL DEFAULT now()
);

-- Bumped in the transaction of every change to either table, so the validator, which holds
-- them in memory, knows with one cheap read per batch whether to read them again: a key
-- registered or revoked counts from the next batch, without a restart. (A sequence would not
-- do: nextval is seen before the change commits.)
CREATE TABLE signing_registry_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL
);
INSERT INTO signing_registry_version (version) VALUES (0);
CREATE FUNCTION bump_signing_registry_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE signing_registry_version SET version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER unit_signing_keys_changed AFTER INSERT OR UPDATE ON unit_signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION bump_signing_registry_version();
CREATE TRIGGER unit_signature_policy_changed
    AFTER INSERT OR UPDATE OR DELETE ON unit_signature_policy
    FOR EACH STATEMENT EXECUTE FUNCTION bump_signing_registry_version();

-- The bytes a signed submission was sent as (null for an unsigned one): the evidence that
-- `baocao verify` checks again. Not in the verdicts view: no other service reads bodies.
ALTER TABLE submissions ADD COLUMN body bytea;

-- The validator reads the keys and transition dates; only the owner writes them.
GRANT SELECT ON unit_signing_keys, unit_signature_policy, signing_registry_version
    TO baocao_validator;
