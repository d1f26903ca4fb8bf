"""The policy over a month with holidays, against real NATS and PostgreSQL: April 2026 for the
monthly report, whose provinces' deadline (Saturday 25 April) is followed by Hùng Kings' Day
(26, observed 27), Reunification Day (30) and Labour Day (1 May). Each step lands on the working
day the catalog's policy gives it, and nothing goes out on a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from baocao.embedded import EmbeddedNats
from shared.clock import ScheduledClock
from shared.workdays import is_working_day
from tests.integration.notifier.helpers import (
    all_units,
    mark_submitted,
    move_to,
    notifier,
    stream_notices,
)

pytestmark = pytest.mark.integration

LG2 = "lg2-monthly"
LATE_COMMUNE, LATE_PROVINCE = "00070", "79"


@pytest.fixture
def lg2_only(tmp_path: Path) -> Path:
    directory = tmp_path / "lg2-catalog"
    directory.mkdir()
    source = Path(__file__).parents[3] / "shared/catalog/data/lg2-monthly.toml"
    (directory / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return directory


async def test_april_2026_each_step_on_its_working_day_and_none_on_holidays(
    nats_server: EmbeddedNats, database_url: str, lg2_only: Path
) -> None:
    units = await all_units(database_url, "commune") + await all_units(database_url, "province")
    await mark_submitted(
        database_url, LG2, "2026-04", [u for u in units if u not in {LATE_COMMUNE, LATE_PROVINCE}]
    )
    clock = ScheduledClock()
    move_to(clock, datetime(2026, 4, 13, 2, tzinfo=UTC))
    running = await notifier(nats_server.url, database_url, clock, BAOCAO_CATALOG_DIR=str(lg2_only))
    sent_on: dict[tuple[str, str], tuple[date, str]] = {}
    try:
        day = date(2026, 4, 13)
        while day <= date(2026, 5, 6):
            move_to(clock, datetime(day.year, day.month, day.day, 2, tzinfo=UTC))  # 09:00 ICT
            await running.service.tick()  # type: ignore[union-attr]
            for notice in await stream_notices(nats_server.url):
                if notice["period"] == "2026-04":
                    sent_on.setdefault(
                        (notice["level"], notice["stage"]), (day, notice["recipient"])
                    )
            day += timedelta(days=1)
    finally:
        await running.stop()

    assert sent_on == {
        ("commune", "unit-3"): (date(2026, 4, 16), LATE_COMMUNE),
        ("commune", "unit-1"): (date(2026, 4, 20), LATE_COMMUNE),
        ("commune", "unit+0"): (date(2026, 4, 21), LATE_COMMUNE),  # deadline: 5 working days
        ("commune", "parent+1"): (date(2026, 4, 22), "01"),
        ("commune", "central+3"): (date(2026, 4, 24), "VN"),
        ("province", "unit-3"): (date(2026, 4, 22), LATE_PROVINCE),
        ("province", "unit-1"): (date(2026, 4, 24), LATE_PROVINCE),
        ("province", "unit+0"): (date(2026, 4, 25), LATE_PROVINCE),  # the 25th, a Saturday
        ("province", "parent+1"): (date(2026, 4, 28), "VN"),  # not the 26th-27th (Hùng Kings)
        ("province", "central+3"): (date(2026, 5, 4), "VN"),  # not 30 April or 1 May
    }
    for (_, stage), (day, _) in sent_on.items():
        assert is_working_day(day) or stage == "unit+0", (stage, day)
