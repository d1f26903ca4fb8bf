"""The notifier's loop: deliver what is due every few seconds, and check the reminder policy
for new notices every tick."""

from __future__ import annotations

import asyncio
import contextlib
import time

from services.notifier import metrics
from services.notifier.usecases.notifications import NotificationService
from shared.logging import get_logger

log = get_logger(__name__)


class Ticker:
    def __init__(
        self,
        service: NotificationService,
        every_seconds: float,
        relay_seconds: float = 1.0,
        stop_grace_seconds: float = 15.0,
    ) -> None:
        self.service = service
        self.every = every_seconds
        self.relay_every = min(relay_seconds, every_seconds)
        self.stop_grace = stop_grace_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.completed = 0  # scheduling rounds that ran to the end, for operators and load tests

    def start(self) -> None:
        self._stopping.clear()
        self.service.claiming = True
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last_tick = -float("inf")
        while not self._stopping.is_set():
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.relay_every)

    async def stop(self) -> None:
        """Let the round in progress finish its sends and record them, within a grace period:
        a send cut off after the receiver took it and before it was recorded would be sent
        again by the next replica. Only past the grace period is the round cancelled."""
        if self._task is None:
            return
        self._stopping.set()
        self.service.claiming = False
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.stop_grace)
        except TimeoutError:
            log.warning("notifier round still running at shutdown; cancelled")
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
