"""PostgreSQL: connection pools and the migration runner."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process that migrates.
_MIGRATION_LOCK = 0x62616F63616F


def _json_default(value: object) -> str:
    # Decimals are stored as strings so they stay exact; readers convert by indicator type.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json(value: object) -> str:
    """JSON as stored in jsonb columns: decimals as strings, Vietnamese as is."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


async def _init_connection(connection: asyncpg.Connection[Any]) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=to_json, decoder=json.loads, schema="pg_catalog"
    )


async def _keep_session(_: asyncpg.Connection[Any]) -> None:
    # Pooled connections never change session state (no SET, LISTEN, cursors or advisory locks;
    # migrations use a connection of their own), so the default reset query on every release is
    # a wasted round trip. An open transaction is still rolled back by the pool itself.
    return None


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool


async def migrate(dsn: str) -> list[str]:
    """Apply pending migrations in file-name order; returns the names applied."""
    connection = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await connection.fetch("SELECT name FROM schema_migrations")}
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name in done:
                continue
            async with connection.transaction():
                await connection.execute(path.read_text(encoding="utf-8"))
                await connection.execute(
                    "INSERT INTO schema_migrations (name) VALUES ($1)", path.name
                )
            applied.append(path.name)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await connection.close()
    return applied


async def pending_migrations(pool: asyncpg.Pool[Any]) -> list[str]:
    exists = await pool.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done = (
        {r["name"] for r in await pool.fetch("SELECT name FROM schema_migrations")}
        if exists
        else set()
    )
    return [p.name for p in sorted(MIGRATIONS.glob("*.sql")) if p.name not in done]
