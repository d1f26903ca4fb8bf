"""The notifier's loop: a tick every few seconds until stopped."""

from __future__ import annotations

import asyncio
import contextlib

from services.notifier import metrics
from services.notifier.service import NotificationService
from shared.logging import get_logger

log = get_logger(__name__)


class Ticker:
    def __init__(self, service: NotificationService, every_seconds: float) -> None:
        self.service = service
        self.every = every_seconds
        self._task: asyncio.Task[None] | None = None
        self.completed = 0  # ticks that ran to the end, for operators and load tests

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self.service.tick()
                self.completed += 1
                metrics.ticks.inc()
            except Exception as error:  # a database or NATS outage: try again next tick
                metrics.tick_failures.inc()
                log.warning("notifier tick failed", error=repr(error))
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
