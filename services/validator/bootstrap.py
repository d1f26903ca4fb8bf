"""Wires the validator: settings → connections → service → subscriber and HTTP app."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.validator.adapters.approval_store import ApprovalStore
from services.validator.adapters.history_store import HistoryStore
from services.validator.adapters.lock_exceptions import LockExceptionStore
from services.validator.adapters.signing_keys import SigningKeyStore
from services.validator.adapters.verdict_publisher import VerdictPublisher
from services.validator.adapters.verdict_store import VerdictStore
from services.validator.entrypoints import approvals_http, consumer, history_http, http
from services.validator.entrypoints.dry_run import DryRuns
from services.validator.service import ValidationService
from services.validator.settings import ValidatorSettings
from shared.clock import Clock
from shared.consuming import BatchConsumer
from shared.registry import Registry
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
        self.dry_runs: DryRuns | None = None
        self.registry: Registry | None = None
        self.lock_exceptions: LockExceptionStore | None = None
        self.approvals: ApprovalStore | None = None
        self.history: HistoryStore | None = None

    async def start(self) -> None:
        await self.runtime.open()
        self.registry = await load_registry(self.runtime.db)
        self.lock_exceptions = LockExceptionStore(self.runtime.db)
        self.approvals = ApprovalStore(self.runtime.db)
        self.history = HistoryStore(self.runtime.db)
        service = ValidationService(
            catalog=self.catalog,
            registry=self.registry,
            clock=self.runtime.clock,
            store=VerdictStore(self.runtime.db),
            publisher=VerdictPublisher(self.runtime.js),
            signing_keys=SigningKeyStore(
                self.runtime.db,
                required_from=self.settings.signatures_required_from,
                notice=timedelta(days=self.settings.signatures_notice_days),
            ),
        )
        self.dry_runs = DryRuns(service)
        await self.dry_runs.start(self.runtime.broker.connection)
        self.consumer = consumer.build(service, batch_size=self.settings.batch_size)
        await self.consumer.start(self.runtime.js)
        self.runtime.consumers.append(self.consumer)

    async def stop(self) -> None:
        if self.dry_runs is not None:
            await self.dry_runs.stop()
        if self.consumer is not None:
            await self.consumer.stop()
        await self.runtime.close()

    def _lock_exceptions(self) -> LockExceptionStore:
        assert self.lock_exceptions is not None, "the validator has not started"
        return self.lock_exceptions

    def _approvals(self) -> ApprovalStore:
        assert self.approvals is not None, "the validator has not started"
        return self.approvals

    def _history(self) -> HistoryStore:
        assert self.history is not None, "the validator has not started"
        return self.history

    def _registry(self) -> Registry:
        assert self.registry is not None, "the validator has not started"
        return self.registry

    def app(self) -> FastAPI:
        app = service_app("Baocao validator", self.runtime, self.start, self.stop)
        app.include_router(
            http.routes(
                self._lock_exceptions,
                self._registry,
                self.catalog,
                self.runtime.clock,
            )
        )
        app.include_router(
            approvals_http.routes(
                self._approvals,
                self._registry,
                self.catalog,
                self.runtime.clock,
            )
        )
        app.include_router(history_http.routes(self._history, self._registry))
        http.add_error_handlers(app)
        return app
