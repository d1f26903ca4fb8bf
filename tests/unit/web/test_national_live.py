"""The live updates: the feed's events read line by line, bursts coalesced without losing the
last change, and the upstream feed opened with the person's token and closed after."""

from __future__ import annotations

import asyncio

import pytest

from services.web.usecases.live import (
    Change,
    EventParser,
    LiveFeed,
    change_of,
    coalesce,
    feed_periods,
)
from services.web.usecases.ports import ServiceRefused
from shared.periods import Periodicity

from .people import token_for
from .test_national_fakes import FakeServices


def _events(lines: list[str]) -> list[tuple[str, str, str | None]]:
    parser = EventParser()
    return [e for e in (parser.feed(line) for line in lines) if e is not None]


def test_the_parser_reads_events_and_skips_comments() -> None:
    lines = [
        ": baocao live feed",
        "retry: 3000",
        "",
        "event: rollup",
        'data: {"unit":',
        'data: "01"}',
        "id: 41",
        "",
        ": heartbeat",
        "",
        "data:x",
        "",
    ]
    assert _events(lines) == [
        ("rollup", '{"unit":\n"01"}', "41"),
        ("message", "x", "41"),
    ]


def test_only_a_rollup_with_a_unit_is_a_change() -> None:
    assert change_of("rollup", '{"unit": "79", "period": "2026-Q4"}', "7") == Change("79", "7")
    assert change_of("message", '{"unit": "79"}', "7") is None
    assert change_of("rollup", "not json", "7") is None
    assert change_of("rollup", "[1]", None) is None


def test_a_period_total_listens_to_its_parts() -> None:
    assert feed_periods("2026-Q4", Periodicity.QUARTERLY) == ("2026-Q4", None)
    year = feed_periods("2026", Periodicity.QUARTERLY)
    assert year == (None, frozenset({"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}))
    assert change_of("rollup", '{"unit": "VN", "period": "2026-Q2"}', "3", year[1]) == Change(
        "VN", "3"
    )
    assert change_of("rollup", '{"unit": "VN", "period": "2025-Q4"}', "3", year[1]) is None


async def test_a_burst_sends_its_first_change_at_once_and_its_last_after_the_pause() -> None:
    queue: asyncio.Queue[Change | None] = asyncio.Queue()
    out: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def collect() -> None:
        async for change in coalesce(queue, 0.3):
            out.append((change.unit, loop.time() - start))

    task = asyncio.create_task(collect())
    for unit in ("01", "79", "VN"):
        queue.put_nowait(Change(unit, unit))
    await asyncio.sleep(0.5)
    assert [unit for unit, _ in out] == ["01", "VN"]
    assert out[0][1] < 0.1
    assert 0.25 < out[1][1] < 0.45
    await asyncio.sleep(0.4)
    queue.put_nowait(Change("48", "48"))  # a pause longer than the throttle: at once again
    await asyncio.sleep(0.05)
    assert out[-1][0] == "48"
    queue.put_nowait(None)
    await asyncio.wait_for(task, 1)


async def test_a_change_held_back_is_still_sent_when_the_feed_ends() -> None:
    queue: asyncio.Queue[Change | None] = asyncio.Queue()
    for item in (Change("01", "1"), Change("79", "2"), None):
        queue.put_nowait(item)
    sent = [c.unit async for c in coalesce(queue, 10)]
    assert sent == ["01", "79"]


async def test_the_feed_is_read_with_the_persons_token_and_closed_after() -> None:
    fake = FakeServices(
        feed_chunks=[b": baocao live feed\n\nevent: rollup\nid: 5\n", b'data: {"unit": "VN"}\n\n']
    )
    feed = await LiveFeed.open(
        fake.api(),
        token_for("VN"),
        report_type="kl226-quarterly",
        period="2026-Q4",
        periodicity=Periodicity.QUARTERLY,
        unit="VN",
        last_event_id="4",
        throttle_seconds=0,
    )
    try:
        changes = [change async for change in feed.changes()]
    finally:
        await feed.close()
    assert changes == [Change("VN", "5")]
    request = fake.requests[-1]
    assert request.url.path == "/v1/feed"
    assert dict(request.url.params) == {
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": "VN",
    }
    assert request.headers["Last-Event-ID"] == "4"
    assert request.headers["Authorization"] == f"Bearer {token_for('VN')}"
    assert fake.streams[-1].closed


async def test_a_province_asking_for_the_nations_feed_is_refused_before_any_stream() -> None:
    with pytest.raises(ServiceRefused) as refused:
        await LiveFeed.open(
            FakeServices().api(),
            token_for("01"),
            report_type="kl226-quarterly",
            period="2026-Q4",
            periodicity=Periodicity.QUARTERLY,
            unit="VN",
            last_event_id=None,
            throttle_seconds=0,
        )
    assert (refused.value.status, refused.value.reason) == (403, "national_scope_required")
