"""Wires the notifier: its stores and channels, its use cases (reminders, rejection notices,
delivery, contacts), its loop and its HTTP API."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.notifier.adapters.accepted_reports import PostgresAcceptedReports
from services.notifier.adapters.channels import (
    EmailChannel,
    NatsChannel,
    SmtpConfig,
    WebhookChannel,
)
from services.notifier.adapters.contacts import PostgresContactStore, SecretCipher
from services.notifier.adapters.notice_history import PostgresNoticeHistory
from services.notifier.adapters.outbox import PostgresOutbox
from services.notifier.adapters.secrets_key import load_keys
from services.notifier.adapters.silent_edges import PostgresSilentEdges
from services.notifier.domain.delivery import DeliveryPolicy, QuietHours
from services.notifier.entrypoints import consumers, http
from services.notifier.entrypoints.ticker import Ticker
from services.notifier.settings import NotifierSettings
from services.notifier.usecases.contacts import Contacts
from services.notifier.usecases.delivery import Delivery
from services.notifier.usecases.notifications import NotificationService
from services.notifier.usecases.rejection_notices import RejectionNotices
from services.notifier.usecases.reminders import ReminderPolicy, Reminders
from shared.clock import Clock
from shared.logging import get_logger
from shared.registry import Registry
from shared.registry.store import load_registry
from shared.runtime import Runtime, load_catalog, make_broker, service_app

log = get_logger(__name__)


def smtp_config(settings: NotifierSettings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls={"none": False, "starttls": True, "starttls-if-offered": None, "tls": False}[
            settings.smtp_tls
        ],
        use_tls=settings.smtp_tls == "tls",
        timeout=settings.send_timeout_seconds,
    )


def delivery_policy(settings: NotifierSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        quiet_hours=QuietHours.parse(settings.quiet_hours),
        lease_seconds=settings.lease_seconds,
        max_attempts=settings.max_attempts,
        backoff_base=settings.backoff_base_seconds,
        backoff_cap=settings.backoff_cap_seconds,
        concurrency=settings.send_concurrency,
        claim_batch=settings.batch_size,
        edge_recheck_seconds=max(settings.tick_seconds, settings.relay_seconds),
    )


def reminder_policy(settings: NotifierSettings) -> ReminderPolicy:
    return ReminderPolicy(catch_up_days=settings.catch_up_days, submit_url=settings.submit_url)


class Notifier:
    def __init__(self, settings: NotifierSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.runtime = Runtime(settings, make_broker(settings))
        if clock is not None:
            self.runtime.clock = clock
        self.catalog = load_catalog(settings)
        # Names this process in every claim and attempt: which replica sent what.
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.service: NotificationService | None = None
        self.contacts: Contacts | None = None
        self.registry: Registry | None = None
        self._ticker: Ticker | None = None
        self._http: httpx.AsyncClient | None = None
        self.consumers = consumers.subscribe(
            self.runtime.broker, lambda: self.service, batch_size=settings.batch_size
        )

    async def start(self, *, loop: bool = True) -> None:
        key = self.settings.secrets_key  # first: a bad key stops the start before any connection
        keys = load_keys(
            None if key is None else key.get_secret_value(), Path(self.settings.secrets_key_file)
        )
        await self.runtime.open()
        self.registry = await load_registry(self.runtime.db)
        self._http = httpx.AsyncClient(
            timeout=self.settings.send_timeout_seconds, follow_redirects=False
        )
        smtp = smtp_config(self.settings)
        if smtp is None:
            log.warning("no NOTIFIER_SMTP_HOST: notices go to NATS and webhooks, not e-mail")
        self.service, self.contacts = self._compose(self.registry, self._http, keys, smtp)
        for consumer in self.consumers:
            await consumer.start()
            self.runtime.consumers.append(consumer)
        if loop:
            self._ticker = Ticker(
                self.service, self.settings.tick_seconds, self.settings.relay_seconds
            )
            self._ticker.start()

    def _compose(
        self, registry: Registry, http: httpx.AsyncClient, keys: list[str], smtp: SmtpConfig | None
    ) -> tuple[NotificationService, Contacts]:
        """The use cases on PostgreSQL, NATS, SMTP and HTTP: each job its own object, sharing
        one outbox and one contact directory."""
        clock, db = self.runtime.clock, self.runtime.db
        outbox = PostgresOutbox(db)
        contacts = PostgresContactStore(db, SecretCipher(keys))
        edges = PostgresSilentEdges(db)
        delivery = Delivery(
            clock=clock,
            outbox=outbox,
            contacts=contacts,
            edges=edges,
            nats=NatsChannel(self.runtime.js),
            email=EmailChannel(smtp) if smtp is not None else None,
            webhook=WebhookChannel(http, self.settings.webhook_policy()),
            worker=self.worker,
            policy=delivery_policy(self.settings),
        )
        reminders = Reminders(
            catalog=self.catalog,
            registry=registry,
            clock=clock,
            outbox=outbox,
            accepted=PostgresAcceptedReports(db),
            edges=edges,
            email_from=delivery.email_from,
            policy=reminder_policy(self.settings),
        )
        rejections = RejectionNotices(
            catalog=self.catalog,
            registry=registry,
            clock=clock,
            outbox=outbox,
            delivery=delivery,
            submit_url=self.settings.submit_url,
        )
        service = NotificationService(
            reminders=reminders, rejections=rejections, delivery=delivery, outbox=outbox
        )
        contacts_use_case = Contacts(
            contacts=contacts,
            history=PostgresNoticeHistory(db),
            registry=registry,
            clock=clock,
            webhook_policy=self.settings.webhook_policy(),
        )
        return service, contacts_use_case

    async def stop(self) -> None:
        if self._ticker is not None:
            await self._ticker.stop()
        for consumer in self.consumers:
            await consumer.stop()
        if self._http is not None:
            await self._http.aclose()
        await self.runtime.close()

    def _service(self) -> NotificationService:
        assert self.service is not None, "the notifier has not started"
        return self.service

    def _contacts(self) -> Contacts:
        assert self.contacts is not None, "the notifier has not started"
        return self.contacts

    def app(self) -> FastAPI:
        app = service_app("Baocao notifier", self.runtime, self.start, self.stop)

        @app.get(
            "/v1/ticks",
            summary="How many scheduling rounds have completed since start, and how many"
            " deliveries wait in the outbox",
        )
        async def ticks() -> dict[str, int]:
            return {
                "completed": self._ticker.completed if self._ticker is not None else 0,
                "unsent": await self._service().outbox.unsent_count(),
            }

        app.include_router(http.routes(self._contacts))
        return app
