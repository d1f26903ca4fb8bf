"""`make run`'s accelerated replay: the running notifier follows the shared clock through the
days, and each step of the policy reaches NATS on its day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from baocao.embedded import EmbeddedNats
from baocao.nats_identities import ops_options
from baocao.reminder_replay import replay_month
from shared.clock import ScheduledClock
from tests.integration.notifier.helpers import all_units, mark_submitted, notifier
from tests.integration.notifier.test_channels import KL226

pytestmark = pytest.mark.integration


async def test_five_accelerated_days_bring_each_reminder_then_the_digest(
    nats_server: EmbeddedNats, database_url: str, catalog_dir: Path
) -> None:
    units = await all_units(database_url, "commune") + await all_units(database_url, "province")
    await mark_submitted(database_url, KL226, "2026-Q4", [u for u in units if u != "00070"])
    running = await notifier(
        nats_server.url,
        database_url,
        ScheduledClock(),
        loop=True,
        BAOCAO_CLOCK="shared",
        BAOCAO_CATALOG_DIR=str(catalog_dir),
        NOTIFIER_TICK_SECONDS=0.1,
        NOTIFIER_RELAY_SECONDS=0.05,
    )
    lines: list[str] = []
    try:
        # Monday 14 Dec 2026 to Friday 18 Dec; the communes' deadline is Thursday 17 Dec.
        seen = await replay_month(
            nats_server.url,
            ops_options(),
            date(2026, 12, 14),
            days=5,
            seconds_per_day=1.0,
            say=lines.append,
        )
    finally:
        await running.stop()

    assert seen == {"unit-3": 1, "unit-1": 1, "unit+0": 1, "parent+1": 1}
    printed = "\n".join(lines)
    assert printed.index("unit-3") < printed.index("Wed 16/12/2026") < printed.index("unit-1")
    assert printed.index("Fri 18/12/2026") < printed.index("parent+1")
    assert "→ 01:" in printed  # the digest goes to Hà Nội
