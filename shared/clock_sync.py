"""Following a shared clock schedule kept in a NATS key-value bucket.

Only used when ``BAOCAO_CLOCK=shared`` (tests, the simulated round): the schedule is a JSON list of
segments, and whoever drives the round appends to it. Production runs on the system clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from shared.clock import ClockSegment, ScheduledClock
from shared.subjects import CLOCK_BUCKET

SCHEDULE_KEY = "schedule"


def encode(segments: list[ClockSegment]) -> bytes:
    return json.dumps(
        [
            {
                "real": s.real_start.isoformat(),
                "system": s.system_start.isoformat(),
                "speed": s.speed,
            }
            for s in segments
        ]
    ).encode()


def decode(data: bytes) -> list[ClockSegment]:
    return [
        ClockSegment(
            datetime.fromisoformat(s["real"]), datetime.fromisoformat(s["system"]), s["speed"]
        )
        for s in json.loads(data)
    ]


async def clock_bucket(js: JetStreamContext) -> KeyValue:
    """The bucket ops provisions for a shared clock; services only read and watch it."""
    return await js.key_value(CLOCK_BUCKET)


async def create_clock_bucket(js: JetStreamContext) -> KeyValue:
    return await js.create_key_value(KeyValueConfig(bucket=CLOCK_BUCKET, history=1))


async def read_schedule(bucket: KeyValue) -> list[ClockSegment]:
    try:
        entry = await bucket.get(SCHEDULE_KEY)
    except KeyNotFoundError:
        return []
    return decode(entry.value or b"[]")


async def append_segment(js: JetStreamContext, segment: ClockSegment) -> None:
    """Move the shared clock (an operator's act: tests and the simulated round)."""
    bucket = await create_clock_bucket(js)
    segments = await read_schedule(bucket)
    await bucket.put(SCHEDULE_KEY, encode([*segments, segment]))


class SharedClockFollower:
    """Keeps a :class:`ScheduledClock` in step with the bucket until stopped."""

    def __init__(self, clock: ScheduledClock) -> None:
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self, js: JetStreamContext) -> None:
        bucket = await clock_bucket(js)
        self.clock.replace(await read_schedule(bucket))
        watcher = await bucket.watch(SCHEDULE_KEY)
        self._task = asyncio.create_task(self._follow(watcher))

    async def _follow(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is not None and entry.value:
                self.clock.replace(decode(entry.value))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
