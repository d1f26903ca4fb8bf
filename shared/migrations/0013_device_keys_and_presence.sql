-- The web form offline, signed in the browser (issue 17, docs/weak-networks.md): a clerk's
-- browser holds its own Ed25519 key (WebCrypto, not extractable), registered as one of its
-- unit's signing keys (key ids 'web-…') by intake on the signed-in clerk's behalf. While the
-- page is open and online it tells the hub so every minute; the gaps between those contacts are
-- the hub's own record of when it heard nothing from that device, which the validator requires
-- before it honours a time the device signed offline (as edge_link_spells does for edges).

-- Intake registers a device's key for the caller's own unit (POST /v1/devices): an insert, as
-- ops' `baocao signing-key` does, and the registry version bump its trigger makes.
GRANT SELECT, INSERT ON unit_signing_keys TO baocao_intake;
GRANT SELECT, UPDATE ON signing_registry_version TO baocao_intake;

-- Each interval in which the hub heard from a device, at most a few minutes between contacts.
-- Written by intake (POST /v1/devices/{key_id}/seen, and the registration); never deleted.
CREATE TABLE device_presence (
    unit        text NOT NULL,
    key_id      text NOT NULL CHECK (key_id LIKE 'web-%'),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (unit, key_id, first_seen),
    FOREIGN KEY (unit, key_id) REFERENCES unit_signing_keys (unit, key_id),
    CHECK (last_seen >= first_seen)
);
CREATE TRIGGER device_presence_append_only BEFORE DELETE OR TRUNCATE ON device_presence
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewriting_history();

-- For the validator: each silence of a device, from its last contact to its next one (null
-- while it has not been heard from since).
CREATE VIEW device_silences AS
    SELECT unit, key_id, last_seen AS began,
           lead(first_seen) OVER (PARTITION BY unit, key_id ORDER BY first_seen) AS ended
      FROM device_presence;

GRANT SELECT, INSERT, UPDATE ON device_presence TO baocao_intake;
GRANT SELECT ON device_silences TO baocao_validator;
