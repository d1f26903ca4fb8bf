"""The notifier's loop: deliver what is due every few seconds, and check the reminder policy
for new notices every tick."""

from __future__ import annotations

import asyncio
import contextlib
import time

from services.notifier import metrics
from services.notifier.service import NotificationService
from shared.logging import get_logger

log = get_logger(__name__)


class Ticker:
    def __init__(
        self, service: NotificationService, every_seconds: float, relay_seconds: float = 1.0
    ) -> None:
        self.service = service
        self.every = every_seconds
        self.relay_every = min(relay_seconds, every_seconds)
        self._task: asyncio.Task[None] | None = None
        self.completed = 0  # scheduling rounds that ran to the end, for operators and load tests

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last_tick = -float("inf")
        while True:
            due = time.monotonic() - last_tick >= self.every
            try:
                if due:
                    await self.service.tick()
                    last_tick = time.monotonic()
                    self.completed += 1
                    metrics.ticks.inc()
                else:
                    await self.service.relay()
            except Exception as error:  # a database or NATS outage: try again next time
                if due:
                    metrics.tick_failures.inc()
                log.warning("notifier round failed", error=repr(error), tick=due)
            await asyncio.sleep(self.relay_every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
