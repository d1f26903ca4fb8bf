"""Wires the notifier: schedule, outbox, publisher and its loop."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.notifier.adapters.notice_publisher import NoticePublisher
from services.notifier.adapters.outbox import Outbox
from services.notifier.entrypoints import consumers
from services.notifier.entrypoints.ticker import Ticker
from services.notifier.service import NotificationService
from services.notifier.settings import NotifierSettings
from shared.clock import Clock
from shared.consuming import BatchConsumer
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app


class Notifier:
    def __init__(self, settings: NotifierSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        self.service: NotificationService | None = None
        self._ticker: Ticker | None = None
        self.consumers: list[BatchConsumer] = []

    async def start(self, *, loop: bool = True) -> None:
        await self.runtime.open()
        self.service = NotificationService(
            catalog=self.catalog,
            registry=await load_registry(self.runtime.db),
            clock=self.runtime.clock,
            outbox=Outbox(self.runtime.db),
            publisher=NoticePublisher(self.runtime.js),
            lead=timedelta(days=self.settings.reminder_lead_days),
            window=timedelta(days=self.settings.escalation_window_days),
        )
        self.consumers = consumers.build(self.service, batch_size=self.settings.batch_size)
        for consumer in self.consumers:
            await consumer.start(self.runtime.js)
            self.runtime.consumers.append(consumer)
        if loop:
            self._ticker = Ticker(self.service, self.settings.tick_seconds)
            self._ticker.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()
        for consumer in self.consumers:
            await consumer.stop()
        await self.runtime.close()

    def app(self) -> FastAPI:
        app = service_app("Baocao notifier", self.runtime, self.start, self.stop)

        @app.get("/v1/ticks", summary="How many scheduling rounds have completed since start")
        async def ticks() -> dict[str, int]:
            return {"completed": self._ticker.completed if self._ticker is not None else 0}

        return app
