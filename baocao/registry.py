"""`baocao registry`: apply a file of changes, or a newer vietnam-provinces release."""

from __future__ import annotations

import asyncpg

from shared.registry.changes import InvalidChange, Plan, from_package, parse, plan
from shared.registry.seed import units_from_package
from shared.registry.store import load_registry, upsert_units


async def apply_file(database_url: str, text: str, *, dry_run: bool) -> int:
    """Apply the changes file ``text``: all of it, or (if any change is refused) none of it."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        try:
            planned = plan(await load_registry(pool), parse(text))
        except InvalidChange as error:
            print(f"refused, nothing written: {error}")
            return 1
        return await _write(pool, planned, dry_run=dry_run)
    finally:
        await pool.close()


async def sync_package(database_url: str, *, dry_run: bool) -> int:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        planned, missing = from_package(await load_registry(pool), units_from_package())
        code = await _write(pool, planned, dry_run=dry_run)
        for unit in missing:
            print(
                f"not in the package: {unit.code} {unit.name}; close it with a changes file"
                " (`[[close]] code, on, successor`)"
            )
        return code
    finally:
        await pool.close()


async def _write(pool: asyncpg.Pool[asyncpg.Record], planned: Plan, *, dry_run: bool) -> int:
    for line in planned.summary or ["no changes"]:
        print(line)
    if dry_run or not planned.units:
        return 0
    await upsert_units(pool, planned.units)
    print(
        f"{len(planned.units)} units written. Services load the registry at start: restart them"
        " (`kubectl rollout restart`) for the change to take effect."
    )
    return 0
