"""Wires the validator: settings → connections → service → subscriber and HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from services.validator.adapters.verdict_publisher import VerdictPublisher
from services.validator.adapters.verdict_store import VerdictStore
from services.validator.entrypoints import consumer
from services.validator.service import ValidationService
from services.validator.settings import ValidatorSettings
from shared.clock import Clock
from shared.consuming import BatchConsumer
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app


class Validator:
    def __init__(self, settings: ValidatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        self.consumer: BatchConsumer | None = None

    async def start(self) -> None:
        await self.runtime.open()
        service = ValidationService(
            catalog=self.catalog,
            registry=await load_registry(self.runtime.db),
            clock=self.runtime.clock,
            store=VerdictStore(self.runtime.db),
            publisher=VerdictPublisher(self.runtime.js),
        )
        self.consumer = consumer.build(service, batch_size=self.settings.batch_size)
        await self.consumer.start(self.runtime.js)
        self.runtime.consumers.append(self.consumer)

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
        await self.runtime.close()

    def app(self) -> FastAPI:
        return service_app("Baocao validator", self.runtime, self.start, self.stop)
