"""Reminders wait for a silent edge, on PostgreSQL and NATS: a commune whose edge the hub hears
nothing from is not reminded; once the validator records the link back, it is, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from baocao.embedded import EmbeddedNats
from services.notifier.bootstrap import Notifier
from shared.clock import ScheduledClock
from shared.periods import VIETNAM
from tests.integration.conftest import service_url
from tests.integration.notifier.helpers import (
    all_units,
    mark_submitted,
    move_to,
    notifier,
    stream_notices,
)

pytestmark = pytest.mark.integration

KL226 = "kl226-quarterly"
HOAN_KIEM, BA_DINH = "00070", "00073"
MORNING = datetime(2026, 12, 16, 10, 0, tzinfo=VIETNAM)  # a day before the communes' deadline
SILENT_SINCE = datetime(2026, 12, 15, 8, 0, tzinfo=VIETNAM)


@pytest.fixture
async def service(
    nats_server: EmbeddedNats,
    database_url: str,
    clock: ScheduledClock,
    catalog_dir: Path,
) -> AsyncIterator[Notifier]:
    everyone = await all_units(database_url, "commune") + await all_units(database_url, "province")
    late = (HOAN_KIEM, BA_DINH)
    await mark_submitted(database_url, KL226, "2026-Q4", [u for u in everyone if u not in late])
    started = await notifier(
        nats_server.url, database_url, clock, BAOCAO_CATALOG_DIR=str(catalog_dir)
    )
    yield started
    await started.stop()


async def as_validator(database_url: str, statement: str, *args: object) -> None:
    """Write the edge's link record as the validator does, under its own role."""
    connection = await asyncpg.connect(service_url(database_url, "validator"))
    try:
        await connection.execute(statement, *args)
    finally:
        await connection.close()


async def reminded(nats_url: str) -> list[str]:
    return sorted(n["subject"] for n in await stream_notices(nats_url) if n["stage"] == "unit-1")


async def test_a_commune_is_reminded_only_once_its_silent_edge_is_heard_again(
    service: Notifier, database_url: str, nats_server: EmbeddedNats, clock: ScheduledClock
) -> None:
    assert service.service is not None
    await as_validator(
        database_url,
        "INSERT INTO edge_link_spells (unit, began, silent_until) VALUES ($1, $2, $3)",
        HOAN_KIEM,
        SILENT_SINCE,
        MORNING,
    )
    move_to(clock, MORNING)

    await service.service.tick()
    while_silent = await reminded(nats_server.url)
    await as_validator(
        database_url,
        "UPDATE edge_link_spells SET open = false, silent_until = $2 WHERE unit = $1 AND open",
        HOAN_KIEM,
        MORNING + timedelta(minutes=5),
    )
    move_to(clock, MORNING + timedelta(minutes=10))
    await service.service.tick()
    await service.service.tick()

    assert while_silent == [f"notify.{BA_DINH}"]
    assert await reminded(nats_server.url) == [f"notify.{HOAN_KIEM}", f"notify.{BA_DINH}"]
