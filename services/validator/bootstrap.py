"""Wires the validator: settings → connections → service → subscriber and HTTP app."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.validator.adapters.approval_store import ApprovalStore
from services.validator.adapters.edge_links import LandingStreams
from services.validator.adapters.history_store import HistoryStore
from services.validator.adapters.lock_exceptions import LockExceptionStore
from services.validator.adapters.quiet_spells import QuietSpellStore
from services.validator.adapters.report_status_store import ReportStatusStore
from services.validator.adapters.signing_keys import SigningKeyStore
from services.validator.adapters.verdict_publisher import VerdictPublisher
from services.validator.adapters.verdict_store import VerdictStore
from services.validator.entrypoints import (
    approvals_http,
    consumer,
    history_http,
    http,
    report_status_http,
)
from services.validator.entrypoints.dry_run import DryRuns
from services.validator.settings import ValidatorSettings
from services.validator.usecases.approvals import Approvals
from services.validator.usecases.history import Audit
from services.validator.usecases.link_watch import LinkWatch
from services.validator.usecases.lock_exceptions import LockExceptions
from services.validator.usecases.report_status import ReportStatuses
from services.validator.usecases.validation import ValidationService
from shared.clock import Clock
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
        self.service: ValidationService | None = None
        self.consumer = consumer.subscribe(
            self.runtime.broker, lambda: self.service, batch_size=settings.batch_size
        )
        self.dry_runs: DryRuns | None = None
        self.registry: Registry | None = None
        self.lock_exceptions: LockExceptions | None = None
        self.approvals: Approvals | None = None
        self.audit: Audit | None = None
        self.report_statuses: ReportStatuses | None = None
        self.link_watch: LinkWatch | None = None

    async def start(self) -> None:
        await self.runtime.open()
        self.registry = await load_registry(self.runtime.db)
        clock = self.runtime.clock
        self.lock_exceptions = LockExceptions(
            LockExceptionStore(self.runtime.db), self.registry, self.catalog, clock
        )
        self.approvals = Approvals(
            ApprovalStore(self.runtime.db), self.registry, self.catalog, clock
        )
        self.audit = Audit(HistoryStore(self.runtime.db), self.registry)
        self.report_statuses = ReportStatuses(
            ReportStatusStore(self.runtime.db), self.registry, self.catalog
        )
        quiet_spells = QuietSpellStore(self.runtime.db)
        if self.settings.edge_watch_seconds > 0:
            self.link_watch = LinkWatch(
                LandingStreams(self.runtime.broker.connection, self.registry.province_codes()),
                quiet_spells,
                clock,
                self.settings.edge_watch_seconds,
            )
            self.link_watch.start()
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
            quiet_spells=quiet_spells,
        )
        self.dry_runs = DryRuns(service)
        await self.dry_runs.start(self.runtime.broker.connection)
        self.service = service
        await self.consumer.start()
        self.runtime.consumers.append(self.consumer)

    async def stop(self) -> None:
        if self.link_watch is not None:
            await self.link_watch.stop()
        if self.dry_runs is not None:
            await self.dry_runs.stop()
        await self.consumer.stop()
        await self.runtime.close()

    def _lock_exceptions(self) -> LockExceptions:
        assert self.lock_exceptions is not None, "the validator has not started"
        return self.lock_exceptions

    def _approvals(self) -> Approvals:
        assert self.approvals is not None, "the validator has not started"
        return self.approvals

    def _audit(self) -> Audit:
        assert self.audit is not None, "the validator has not started"
        return self.audit

    def _report_statuses(self) -> ReportStatuses:
        assert self.report_statuses is not None, "the validator has not started"
        return self.report_statuses

    def app(self) -> FastAPI:
        app = service_app("Baocao validator", self.runtime, self.start, self.stop)
        app.include_router(http.routes(self._lock_exceptions))
        app.include_router(approvals_http.routes(self._approvals))
        app.include_router(history_http.routes(self._audit))
        app.include_router(report_status_http.routes(self._report_statuses))
        return app
