"""Reading and writing the registry in PostgreSQL."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.catalog.model import Level
from shared.registry.model import Registry, Unit

_COLUMNS = "code, name, level, kind, parent_code, valid_from, valid_to, successor_code"


async def load_registry(pool: asyncpg.Pool[Any]) -> Registry:
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM units")
    return Registry(
        Unit(
            code=r["code"],
            name=r["name"],
            level=Level(r["level"]),
            kind=r["kind"],
            parent=r["parent_code"],
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
            successor=r["successor_code"],
        )
        for r in rows
    )


async def upsert_units(pool: asyncpg.Pool[Any], units: list[Unit]) -> int:
    """Insert or update units, parents first, in one transaction. A closing date and successor
    are recorded once (set in a second statement, when every unit, a new successor included,
    exists) and never moved."""
    async with pool.acquire() as connection, connection.transaction():
        return await upsert_units_in(connection, units)


async def upsert_units_in(
    connection: asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any], units: list[Unit]
) -> int:
    order = {Level.CENTRAL: 0, Level.PROVINCE: 1, Level.COMMUNE: 2}
    ordered = sorted(units, key=lambda u: (order[u.level], u.code))
    if ordered:
        await connection.executemany(
            f"INSERT INTO units ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
            " parent_code = excluded.parent_code",
            [(u.code, u.name, u.level.value, u.kind, u.parent, u.valid_from) for u in ordered],
        )
        closed = [u for u in ordered if u.valid_to is not None]
        if closed:
            # Once every unit exists, a successor named by a closed unit does too.
            await connection.executemany(
                "UPDATE units SET valid_to = $2, successor_code = $3 WHERE code = $1"
                " AND valid_to IS NULL",
                [(u.code, u.valid_to, u.successor) for u in closed],
            )
    return len(ordered)
