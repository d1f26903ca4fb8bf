"""Browsers' keys in unit_signing_keys and their contacts in device_presence (migration 0013)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.intake.domain.devices import PRESENCE_GAP, DeviceKey, Registered


class DeviceStore:
    """:class:`~services.intake.usecases.ports.DeviceRecords` on PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def register(self, key: DeviceKey) -> Registered | None:
        async with self._pool.acquire() as connection:
            # Either unique key (the unit's key id, the public key anywhere) makes it a no-op;
            # a concurrent registration of the same key waits here for the first to commit.
            inserted = await connection.fetchval(
                "INSERT INTO unit_signing_keys (unit, key_id, public_key, valid_from)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
                key.unit,
                key.key_id,
                key.public_key,
                key.valid_from,
            )
            if inserted:
                return Registered(key, new=True)
            row = await connection.fetchrow(
                "SELECT public_key, valid_from FROM unit_signing_keys"
                " WHERE unit = $1 AND key_id = $2",
                key.unit,
                key.key_id,
            )
        if row is None or row["public_key"] != key.public_key:
            return None
        return Registered(
            DeviceKey(key.unit, key.key_id, key.public_key, row["valid_from"]), new=False
        )

    async def seen(self, unit: str, key_id: str, at: datetime) -> bool:
        async with self._pool.acquire() as connection, connection.transaction():
            # One device's contacts one at a time (intake may not lock the key's row: that
            # needs UPDATE on unit_signing_keys), so two at once cannot both start an interval.
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('device_presence:' || $1"
                " || ':' || $2, 0))",
                unit,
                key_id,
            )
            known = await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM unit_signing_keys WHERE unit = $1 AND key_id = $2)",
                unit,
                key_id,
            )
            if not known:
                return False
            extended = await connection.fetchval(
                "UPDATE device_presence SET last_seen = greatest(last_seen, $3)"
                " WHERE (unit, key_id, first_seen) = (SELECT unit, key_id, first_seen"
                "   FROM device_presence WHERE unit = $1 AND key_id = $2"
                "   ORDER BY first_seen DESC LIMIT 1)"
                " AND last_seen >= $4 RETURNING true",
                unit,
                key_id,
                at,
                at - PRESENCE_GAP,
            )
            if not extended:
                await connection.execute(
                    "INSERT INTO device_presence (unit, key_id, first_seen, last_seen)"
                    " VALUES ($1, $2, $3, $3)",
                    unit,
                    key_id,
                    at,
                )
        return True
