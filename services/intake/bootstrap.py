"""Wires intake: registry, receipts, the JetStream publisher, browsers' keys and the HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import metrics
from services.intake.adapters.devices import DeviceStore
from services.intake.adapters.dry_runs import DryRunClient
from services.intake.adapters.publisher import SubmissionPublisher
from services.intake.adapters.receipts import ReceiptStore
from services.intake.adapters.status import StatusReader
from services.intake.entrypoints import catalog_routes, device_routes, http
from services.intake.settings import IntakeSettings
from services.intake.usecases.devices import DeviceService
from services.intake.usecases.submissions import IntakeService
from shared.clock import Clock
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app


class Intake:
    def __init__(self, settings: IntakeSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        self.service: IntakeService | None = None
        self.devices: DeviceService | None = None

    async def start(self) -> None:
        await self.runtime.open()
        self.service = IntakeService(
            registry=await load_registry(self.runtime.db),
            clock=self.runtime.clock,
            receipts=ReceiptStore(self.runtime.db),
            publisher=SubmissionPublisher(self.runtime.js),
            dry_runs=DryRunClient(self.runtime.broker.connection),
            statuses=StatusReader(self.runtime.db),
        )
        self.devices = DeviceService(clock=self.runtime.clock, devices=DeviceStore(self.runtime.db))

    async def stop(self) -> None:
        await self.runtime.close()

    def _service(self) -> IntakeService:
        assert self.service is not None, "intake has not started"
        return self.service

    def _devices(self) -> DeviceService:
        assert self.devices is not None, "intake has not started"
        return self.devices

    def app(self) -> FastAPI:
        app = service_app(
            "Baocao intake",
            self.runtime,
            self.start,
            self.stop,
            on_refusal=metrics.count_refusal,
        )
        app.include_router(http.routes(self._service))
        app.include_router(device_routes.routes(self._devices))
        app.include_router(catalog_routes.routes(self.catalog))
        return app
