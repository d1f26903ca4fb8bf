"""Applying registry changes to PostgreSQL: all or nothing, and history survives a re-seed."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from baocao.registry import apply_file
from shared.registry.seed import units_from_package
from shared.registry.store import load_registry, upsert_units
from tests.unit.test_registry_changes import MERGER

pytestmark = pytest.mark.integration


async def test_a_merger_is_applied_and_survives_reseeding_from_the_package(
    database_url: str,
) -> None:
    assert await apply_file(database_url, MERGER, dry_run=False) == 0
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    try:
        # `baocao up` and `baocao migrate` upsert the package's units on every start.
        await upsert_units(pool, units_from_package())
        registry = await load_registry(pool)
    finally:
        await pool.close()

    closed = registry.get("00070")
    assert closed is not None
    assert (closed.valid_to, closed.successor) == (date(2026, 7, 1), "99901")
    assert registry.get("99901") is not None


async def test_a_file_with_one_bad_change_writes_nothing(database_url: str) -> None:
    bad = MERGER + '\n[[close]]\ncode = "88888"\non = 2026-07-01\n'

    assert await apply_file(database_url, bad, dry_run=False) == 1

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    try:
        registry = await load_registry(pool)
    finally:
        await pool.close()
    unit = registry.get("00070")
    assert unit is not None
    assert unit.valid_to is None
    assert registry.get("99901") is None
