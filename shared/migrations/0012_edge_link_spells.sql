-- Weak links (issue 17, ADR 0024, docs/weak-networks.md): the hub's own record of when it heard
-- nothing from a unit's edge. The validator watches the landing streams' sources (how long since
-- each edge was last heard from) and writes a spell here when an edge has been silent; it honours
-- a report's signed time only inside a spell recorded here. The unit's word never writes a row.

-- One row per quiet spell of one unit's edge link. began: the last time the hub heard from the
-- edge before it fell silent. silent_until: the last instant the hub saw it still silent; the link
-- came back after it. open: the hub has not heard from the edge since. Rows are never deleted:
-- they are the evidence behind every report judged by its signed time.
CREATE TABLE edge_link_spells (
    unit         text NOT NULL CHECK (unit ~ '^[0-9]{2,5}$'),
    began        timestamptz NOT NULL,
    silent_until timestamptz NOT NULL,
    open         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (unit, began),
    CHECK (silent_until >= began)
);
-- At most one open spell per unit: two validators watching at once extend the same row.
CREATE UNIQUE INDEX edge_link_spells_open ON edge_link_spells (unit) WHERE open;
-- The validator's lookup: a batch's units' spells that ended recently enough to matter.
CREATE INDEX edge_link_spells_by_unit ON edge_link_spells (unit, silent_until);
CREATE TRIGGER edge_link_spells_append_only BEFORE DELETE OR TRUNCATE ON edge_link_spells
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewriting_history();

-- For the notifier (and ops): the units whose edge is silent now, and since when. A unit listed
-- here has reports on their way, signed or not: reminders wait rather than chase it.
CREATE VIEW silent_edges AS
    SELECT unit, began, silent_until FROM edge_link_spells WHERE open;

GRANT SELECT, INSERT, UPDATE ON edge_link_spells TO baocao_validator;
GRANT SELECT ON silent_edges TO baocao_notifier;
