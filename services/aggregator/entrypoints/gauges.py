"""Keeps the completeness gauges current: a refresh every few seconds until stopped."""

from __future__ import annotations

import asyncio
import contextlib

from services.aggregator import metrics
from services.aggregator.usecases.aggregation import AggregationService
from shared.logging import get_logger

log = get_logger(__name__)


class CompletenessGauges:
    def __init__(self, service: AggregationService, every_seconds: float) -> None:
        self.service = service
        self.every = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def refresh(self) -> None:
        metrics.show(*await self.service.completeness())

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:  # an outage: the gauges keep their last values
                log.warning("refreshing completeness gauges failed", error=repr(error))
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
