"""The link watch records the hub's own evidence of an edge's silence, in system time, and the
judging use case reads it only for reports that came through an edge signed
(services/validator/usecases/link_watch.py, validation.py), on fakes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest

from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.link_silence import EdgeReading
from services.validator.domain.offline_time import QuietSpell
from services.validator.usecases.link_watch import LinkWatch
from services.validator.usecases.validation import ValidationService
from shared.catalog import Catalog
from shared.clock import ClockSegment, ScheduledClock
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.signing import sign
from tests.fakes.validator import InMemoryQuietSpells, InMemoryVerdictStore, RecordingPublisher
from tests.integration.system import kl226_values
from tests.unit.test_signatures import KEY, REGISTRY, UNIT, body

REAL_START = datetime.now(UTC) - timedelta(hours=1)
# The simulated round's clock: an hour ago real time was 31/12/2026 22:00 Vietnam time, and it
# has run 60x since.
SYSTEM_START = datetime(2026, 12, 31, 15, tzinfo=UTC)
CLOCK = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START, 60.0)])


class Links:
    def __init__(self, *readings: EdgeReading) -> None:
        self.readings = list(readings)
        self.fail = False

    async def read(self) -> list[EdgeReading]:
        if self.fail:
            raise TimeoutError("nats: timeout")
        return self.readings


async def test_a_silent_edges_spell_is_recorded_in_system_time() -> None:
    spells = InMemoryQuietSpells()
    watch = LinkWatch(Links(EdgeReading(UNIT, timedelta(minutes=2))), spells, CLOCK, 5)

    silent = await watch.look_once()

    assert silent == 1
    [(unit, began, until, still_open)] = spells.rows
    assert (unit, still_open) == (UNIT, True)
    # Two real minutes of silence are two simulated hours on a clock running 60x.
    now = CLOCK.now()
    assert now - timedelta(hours=2, seconds=30) < began < now - timedelta(hours=1, minutes=59)
    assert began < until <= now


async def test_a_failing_look_records_nothing_and_the_watch_keeps_looking() -> None:
    spells, links = InMemoryQuietSpells(), Links(EdgeReading(UNIT, timedelta(minutes=2)))
    links.fail = True
    watch = LinkWatch(links, spells, CLOCK, 0.01)

    watch.start()
    await asyncio.sleep(0.05)
    links.fail = False
    await asyncio.sleep(0.05)
    await watch.stop()

    assert [row[0] for row in spells.rows] == [UNIT]


class CountingSpells(InMemoryQuietSpells):
    reads: int = 0

    async def spells(self, units: Collection[str], since: datetime) -> dict[str, list[QuietSpell]]:
        self.reads += 1
        return await super().spells(units, since)


def message(*, via_edge: bool, signed: bool, seq: int) -> IncomingSubmission:
    document = {**body(), "submission_id": f"sub-edge-{seq:04d}", "values": dict(kl226_values())}
    if signed:
        document = sign(document, KEY, "k1", SYSTEM_START - timedelta(hours=1))
    return IncomingSubmission(
        f"reports.submitted.01.{UNIT}",
        json.dumps(document).encode(),
        None,
        seq,
        REAL_START,
        via_edge=via_edge,
    )


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


async def test_spells_are_read_once_per_batch_and_only_for_signed_reports_through_an_edge(
    registry: Registry,
) -> None:
    spells = CountingSpells()
    await spells.observe([], [])
    service = ValidationService(
        catalog=Catalog.load(),
        registry=registry,
        clock=CLOCK,
        store=InMemoryVerdictStore(),
        publisher=RecordingPublisher(),
        quiet_spells=spells,
    )
    signing = REGISTRY

    class Keys:
        async def current(self) -> object:
            return signing

    service.signing_keys = Keys()  # type: ignore[assignment]

    await service.judge([message(via_edge=False, signed=True, seq=1)])
    await service.judge([message(via_edge=True, signed=False, seq=2)])
    assert spells.reads == 0

    await service.judge(
        [message(via_edge=True, signed=True, seq=3), message(via_edge=True, signed=True, seq=4)]
    )
    assert spells.reads == 1


class SwallowsCancellation(Links):
    """A read whose answer arrives just as it is cancelled: ``asyncio.wait_for`` on Python
    3.11 may then return the answer and drop the cancellation."""

    async def read(self) -> list[EdgeReading]:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)
        return self.readings


async def test_the_watch_stops_even_when_a_look_swallows_its_cancellation() -> None:
    watch = LinkWatch(SwallowsCancellation(), InMemoryQuietSpells(), CLOCK, 0.01)
    watch.start()
    await asyncio.sleep(0.05)

    await asyncio.wait_for(watch.stop(), timeout=2)

    assert watch._task is None
