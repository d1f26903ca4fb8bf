"""The hub's record of its edges' quiet spells (migration 0012), written by the link watch and
read by the judgement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.validator.domain.link_silence import Silence
from services.validator.domain.offline_time import QuietSpell

# A unit heard from since its open spell was last seen silent had a contact in between: that
# spell ends there, and the silence seen now is a new one.
_CLOSE_INTERRUPTED = """
UPDATE edge_link_spells AS spell SET open = false
  FROM unnest($1::text[], $2::timestamptz[]) AS seen (unit, began)
 WHERE spell.open AND spell.unit = seen.unit AND seen.began > spell.silent_until
"""
# Two watchers may look at once: the partial unique index keeps one open spell per unit, which
# each look only extends.
_OPEN_OR_EXTEND = """
INSERT INTO edge_link_spells (unit, began, silent_until)
SELECT unit, began, seen_at FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
    AS seen (unit, began, seen_at)
ON CONFLICT (unit) WHERE open DO UPDATE
   SET silent_until = greatest(edge_link_spells.silent_until, excluded.silent_until)
"""
_CLOSE_HEARD = "UPDATE edge_link_spells SET open = false WHERE open AND unit = ANY($1::text[])"


class QuietSpellStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def observe(self, silent: Sequence[Silence], heard: Collection[str]) -> None:
        units = [s.unit for s in silent]
        began = [s.began for s in silent]
        async with self._pool.acquire() as connection, connection.transaction():
            if silent:
                await connection.execute(_CLOSE_INTERRUPTED, units, began)
                await connection.execute(_OPEN_OR_EXTEND, units, began, [s.seen_at for s in silent])
            if heard:
                await connection.execute(_CLOSE_HEARD, list(heard))

    async def spells(self, units: Collection[str], since: datetime) -> dict[str, list[QuietSpell]]:
        rows = await self._pool.fetch(
            "SELECT unit, began, silent_until FROM edge_link_spells"
            " WHERE unit = ANY($1::text[]) AND silent_until >= $2 ORDER BY unit, began",
            list(units),
            since,
        )
        found: dict[str, list[QuietSpell]] = {}
        for row in rows:
            spell = QuietSpell(row["began"], row["silent_until"], "edge")
            found.setdefault(row["unit"], []).append(spell)
        return found

    async def device_spells(
        self, devices: Collection[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[QuietSpell]]:
        wanted = list(devices)
        rows = await self._pool.fetch(
            "SELECT s.unit, s.key_id, s.began, s.ended FROM device_silences AS s"
            " JOIN unnest($1::text[], $2::text[]) AS wanted (unit, key_id)"
            "   ON (s.unit, s.key_id) = (wanted.unit, wanted.key_id)"
            " WHERE s.ended IS NULL OR s.ended >= $3 ORDER BY s.unit, s.key_id, s.began",
            [unit for unit, _ in wanted],
            [key_id for _, key_id in wanted],
            since,
        )
        found: dict[tuple[str, str], list[QuietSpell]] = {}
        for row in rows:
            spell = QuietSpell(row["began"], row["ended"], "web")
            found.setdefault((row["unit"], row["key_id"]), []).append(spell)
        return found
