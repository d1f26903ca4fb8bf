"""In-memory fakes of the notifier's stores and channels, for fast use-case tests.

Each store fake keeps the promises of its protocol in ``services/notifier/usecases/ports.py``; the
contract tests (``tests/integration/contracts/test_notifier_stores.py``) run the same cases
against these fakes and against PostgreSQL. Leases and retry delays run on ``real_clock`` (the
wall clock by default; a :class:`~shared.clock.FixedClock` lets a test move it), as PostgreSQL's
``clock_timestamp()`` does for the real outbox.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.notifier.domain.delivery import DeliveryPolicy
from services.notifier.domain.schedule import SubmittedKey
from services.notifier.usecases.delivery import Delivery
from services.notifier.usecases.notifications import NotificationService
from services.notifier.usecases.ports import (
    Cancelled,
    Claimed,
    Contact,
    DeliveryFailed,
    NewNotice,
)
from services.notifier.usecases.rejection_notices import RejectionNotices
from services.notifier.usecases.reminders import ReminderPolicy, Reminders
from shared.catalog import Catalog, Level
from shared.clock import Clock, SystemClock
from shared.registry import Registry, Unit
from shared.schemas import Notice, NoticeDeadLettered

PENDING = "pending"
SUBMIT_URL = "https://baocao.gov.vn/v1/submissions"
KL226 = "kl226-quarterly"


class InMemoryAcceptedReports:
    """:class:`~services.notifier.usecases.ports.AcceptedReports`, with :meth:`accept` to record one."""

    def __init__(self) -> None:
        self.keys: set[SubmittedKey] = set()

    def accept(self, report_type: str, period: str, units: Collection[str]) -> None:
        self.keys |= {(report_type, period, unit) for unit in units}

    async def submitted(self, periods: Collection[tuple[str, str]]) -> set[SubmittedKey]:
        wanted = set(periods)
        return {key for key in self.keys if (key[0], key[1]) in wanted}


class InMemorySilentEdges:
    """:class:`~services.notifier.usecases.ports.SilentEdges`, with :meth:`fall_silent` and
    :meth:`heard` for what the validator records of an edge's link."""

    def __init__(self) -> None:
        self.since: dict[str, datetime] = {}

    def fall_silent(self, unit: str, since: datetime) -> None:
        self.since[unit] = since

    def heard(self, unit: str) -> None:
        self.since.pop(unit, None)

    async def silent(self, units: Collection[str]) -> dict[str, datetime]:
        return {unit: self.since[unit] for unit in units if unit in self.since}


class InMemoryContactStore:
    """:class:`~services.notifier.usecases.ports.ContactStore`."""

    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {}

    async def get(self, unit: str) -> Contact | None:
        return self.contacts.get(unit)

    async def get_many(self, units: Collection[str]) -> dict[str, Contact]:
        return {u: self.contacts[u] for u in units if u in self.contacts}

    async def put(self, contact: Contact) -> bool:
        created = contact.unit not in self.contacts
        self.contacts[contact.unit] = contact
        return created

    async def delete(self, unit: str) -> bool:
        return self.contacts.pop(unit, None) is not None


@dataclass
class _Notification:
    notice: Notice
    about: tuple[str, ...]
    carrier: Mapping[str, str]
    created_at: datetime
    cancelled_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass
class _Delivery:
    notice_id: str
    channel: str
    not_before: datetime
    status: str = PENDING
    retry_at: datetime | None = None  # real time
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = None  # real time
    closed_at: datetime | None = None
    last_error: str | None = None

    def close(self, status: str, at: datetime) -> None:
        self.status, self.closed_at = status, at
        self.claimed_by = self.claimed_until = None


@dataclass
class _Attempt:
    id: int
    notice_id: str
    channel: str
    attempt: int
    worker: str
    started_at: datetime
    outcome: dict[str, Any] | None = None  # finished_at, outcome, error, http_status


@dataclass
class InMemoryOutbox:
    """:class:`~services.notifier.usecases.ports.Outbox` and :class:`~services.notifier.usecases.ports.
    NoticeHistory`, reading the recipients' contacts and the accepted reports as the real
    outbox reads their tables."""

    contacts: InMemoryContactStore
    accepted: InMemoryAcceptedReports
    real_clock: Clock = field(default_factory=SystemClock)
    notifications: dict[str, _Notification] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], _Delivery] = field(default_factory=dict)
    attempts: list[_Attempt] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _real(self, seconds: float = 0.0) -> datetime:
        return self.real_clock.now() + timedelta(seconds=seconds)

    async def scheduled(self, periods: Collection[tuple[str, str]]) -> set[str]:
        wanted = set(periods)
        return {
            notice_id
            for notice_id, n in self.notifications.items()
            if (n.notice.report_type, n.notice.period) in wanted
        }

    async def add(
        self, notices: Sequence[NewNotice], now: datetime, *, email_from: datetime | None
    ) -> Counter[str]:
        added: Counter[str] = Counter()
        for new in notices:
            notice = new.notice
            if notice.notice_id in self.notifications:
                continue
            self.notifications[notice.notice_id] = _Notification(
                notice, tuple(new.about), dict(new.carrier or {}), now
            )
            added[notice.stage] += 1
            self._deliver_on(notice, "nats", now)
            contact = self.contacts.contacts.get(notice.recipient)
            if contact is not None and contact.webhook_url is not None:
                self._deliver_on(notice, "webhook", now)
            if contact is not None and contact.emails and email_from is not None:
                self._deliver_on(notice, "email", email_from)
        return added

    def _deliver_on(self, notice: Notice, channel: str, not_before: datetime) -> None:
        key = (notice.notice_id, channel)
        self.deliveries[key] = _Delivery(notice.notice_id, channel, not_before)

    def _due(self, d: _Delivery, now: datetime, real: datetime) -> bool:
        return (
            d.status == PENDING
            and d.not_before <= now
            and (d.retry_at is None or d.retry_at <= real)
            and (d.claimed_until is None or d.claimed_until < real)
        )

    async def claim(
        self,
        worker: str,
        limit: int,
        now: datetime,
        *,
        channels: Collection[str],
        lease_seconds: float,
        only: Collection[str] | None = None,
    ) -> list[Claimed]:
        real = self._real()
        due = sorted(
            (
                d
                for d in self.deliveries.values()
                if d.channel in channels
                and (only is None or d.notice_id in only)
                and self._due(d, now, real)
            ),
            key=lambda d: (d.not_before, d.notice_id, d.channel),
        )[:limit]
        for delivery in due:
            delivery.claimed_by = worker
            delivery.claimed_until = self._real(lease_seconds)
        claimed = [
            Claimed(
                self.notifications[d.notice_id].notice,
                d.channel,
                self.notifications[d.notice_id].carrier,
                self.notifications[d.notice_id].about,
            )
            for d in due
        ]
        return sorted(claimed, key=lambda c: (c.notice.notice_id, c.channel))

    def _held(self, notice_id: str, channel: str, worker: str) -> _Delivery | None:
        delivery = self.deliveries.get((notice_id, channel))
        if delivery is None or delivery.status != PENDING or delivery.claimed_by != worker:
            return None
        return delivery

    async def begin_attempt(
        self, notice_id: str, channel: str, worker: str, lease_seconds: float, at: datetime
    ) -> tuple[int, int] | None:
        delivery = self._held(notice_id, channel, worker)
        if delivery is None or delivery.claimed_until is None:
            return None
        if delivery.claimed_until <= self._real():
            return None  # the lease ran out: another worker may hold it now
        delivery.attempts += 1
        delivery.claimed_until = self._real(lease_seconds)
        attempt = _Attempt(next(self._ids), notice_id, channel, delivery.attempts, worker, at)
        self.attempts.append(attempt)
        return attempt.id, attempt.attempt

    async def release(
        self, notice_id: str, channel: str, worker: str, *, wait_seconds: float = 0.0
    ) -> None:
        delivery = self._held(notice_id, channel, worker)
        if delivery is not None:
            delivery.claimed_by = delivery.claimed_until = None
            if wait_seconds > 0:
                delivery.retry_at = self._real(wait_seconds)

    def _record_outcome(self, attempt_id: int, outcome: dict[str, Any]) -> None:
        attempt = next(a for a in self.attempts if a.id == attempt_id)
        if attempt.outcome is None:  # the first outcome stays on record
            attempt.outcome = outcome

    async def finish_sent(
        self, attempt_id: int, notice_id: str, channel: str, at: datetime
    ) -> None:
        self._record_outcome(
            attempt_id, {"finished_at": at, "outcome": "sent", "error": None, "http_status": None}
        )
        delivery = self.deliveries[(notice_id, channel)]
        delivery.close("sent", at)  # sent wins over a cancellation that came meanwhile
        delivery.last_error = None
        notification = self.notifications[notice_id]
        if channel == "nats" and notification.cancelled_at is None:
            notification.sent_at = at

    async def finish_failed(
        self,
        attempt_id: int,
        notice_id: str,
        channel: str,
        at: datetime,
        *,
        error: str,
        http_status: int | None,
        retry_in: float | None,
    ) -> None:
        dead = retry_in is None
        self._record_outcome(
            attempt_id,
            {
                "finished_at": at,
                "outcome": "dead" if dead else "failed",
                "error": error[:2000],
                "http_status": http_status,
            },
        )
        delivery = self.deliveries[(notice_id, channel)]
        if delivery.status != PENDING:
            return
        delivery.claimed_by = delivery.claimed_until = None
        delivery.last_error = error[:2000]
        delivery.retry_at = self._real(retry_in or 0.0)
        if dead:
            delivery.close("dead", at)

    async def close_undeliverable(
        self, notice_id: str, channel: str, at: datetime, reason: str
    ) -> None:
        delivery = self.deliveries.get((notice_id, channel))
        if delivery is not None and delivery.status == PENDING:
            delivery.close("cancelled", at)
            delivery.last_error = reason

    def _answered(self, notification: _Notification) -> bool:
        notice = notification.notice
        return (
            notice.kind != "rejection"
            and bool(notification.about)
            and all(
                (notice.report_type, notice.period, unit) in self.accepted.keys
                for unit in notification.about
            )
        )

    async def cancel_answered(
        self, now: datetime, periods: Collection[tuple[str, str]] | None = None
    ) -> list[Cancelled]:
        wanted = None if periods is None else set(periods)
        cancelled: list[Cancelled] = []
        for delivery in self.deliveries.values():
            notification = self.notifications[delivery.notice_id]
            notice = notification.notice
            if delivery.status != PENDING or not self._answered(notification):
                continue
            if wanted is not None and (notice.report_type, notice.period) not in wanted:
                continue
            delivery.close("cancelled", now)
            cancelled.append(Cancelled(delivery.notice_id, delivery.channel, notice.stage))
        for notice_id in {c.notice_id for c in cancelled}:
            if all(
                d.status == "cancelled"
                for d in self.deliveries.values()
                if d.notice_id == notice_id
            ):
                self.notifications[notice_id].cancelled_at = now
        return cancelled

    async def unsent_count(self) -> int:
        return sum(1 for d in self.deliveries.values() if d.status == PENDING)

    async def history(self, unit: str, limit: int) -> list[dict[str, Any]]:
        found = sorted(
            (n for n in self.notifications.values() if unit in (n.notice.recipient, n.notice.unit)),
            key=lambda n: (-n.created_at.timestamp(), n.notice.notice_id),
        )[:limit]
        return [
            {
                "notice": n.notice.model_dump(mode="json"),
                "created_at": n.created_at,
                "cancelled_at": n.cancelled_at,
                "deliveries": self._deliveries_of(n.notice.notice_id),
            }
            for n in found
        ]

    def _deliveries_of(self, notice_id: str) -> list[dict[str, Any]]:
        return [
            {
                "channel": d.channel,
                "status": d.status,
                "attempts": d.attempts,
                "closed_at": d.closed_at,
                "last_error": d.last_error,
                "history": [
                    {
                        "attempt": a.attempt,
                        "worker": a.worker,
                        "started_at": a.started_at,
                        **(
                            a.outcome
                            or {
                                "finished_at": None,
                                "outcome": None,
                                "error": None,
                                "http_status": None,
                            }
                        ),
                    }
                    for a in self.attempts
                    if (a.notice_id, a.channel) == (d.notice_id, d.channel)
                ],
            }
            for d in sorted(self.deliveries.values(), key=lambda d: d.channel)
            if d.notice_id == notice_id
        ]


def memory_stores(
    real_clock: Clock | None = None,
) -> tuple[InMemoryOutbox, InMemoryContactStore, InMemoryAcceptedReports]:
    """An outbox with the contacts and accepted reports it reads."""
    contacts, accepted = InMemoryContactStore(), InMemoryAcceptedReports()
    outbox = InMemoryOutbox(contacts, accepted, real_clock or SystemClock())
    return outbox, contacts, accepted


@dataclass
class RecordingChannel:
    """A channel that keeps what it was given, and fails the next sends with ``failures``."""

    sent: list[Notice] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)

    def _attempt(self, notice: Notice) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notice)


@dataclass
class RecordingNats(RecordingChannel):
    dead_letters: list[NoticeDeadLettered] = field(default_factory=list)

    async def send(self, notice: Notice, now: datetime, carrier: Mapping[str, str]) -> None:
        self._attempt(notice)

    async def dead_letter(self, event: NoticeDeadLettered) -> None:
        self.dead_letters.append(event)


@dataclass
class RecordingEmail(RecordingChannel):
    recipients: list[tuple[str, ...]] = field(default_factory=list)

    async def send(self, notice: Notice, recipients: tuple[str, ...], now: datetime) -> None:
        self._attempt(notice)
        self.recipients.append(recipients)


@dataclass
class RecordingWebhook(RecordingChannel):
    urls: list[str] = field(default_factory=list)

    async def send(self, notice: Notice, url: str, secret: str) -> None:
        self._attempt(notice)
        self.urls.append(url)


def small_world() -> tuple[Catalog, Registry]:
    """The quarterly report alone, and Hà Nội with two communes: Hoàn Kiếm (00070) and Ba Đình
    (00073). Its communes' 2026-Q4 deadline is 17 Dec 2026."""
    since = date(2025, 7, 1)
    catalog = Catalog({KL226: Catalog.load().report_types[KL226]})
    registry = Registry(
        [
            Unit("VN", "Trung ương", Level.CENTRAL, "x", None, since),
            Unit("01", "Hà Nội", Level.PROVINCE, "x", "VN", since),
            Unit("00070", "Hoàn Kiếm", Level.COMMUNE, "x", "01", since),
            Unit("00073", "Ba Đình", Level.COMMUNE, "x", "01", since),
        ]
    )
    return catalog, registry


@dataclass
class FakeNotifier:
    """The notifier's use cases wired to the fakes, as ``bootstrap.py`` wires them to
    PostgreSQL, NATS, SMTP and HTTP: the service, and every fake for a test to look into."""

    service: NotificationService
    outbox: InMemoryOutbox
    contacts: InMemoryContactStore
    accepted: InMemoryAcceptedReports
    edges: InMemorySilentEdges
    nats: RecordingNats
    email: RecordingEmail
    webhook: RecordingWebhook

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        *,
        real_clock: Clock | None = None,
        policy: DeliveryPolicy | None = None,
        email: bool = True,
    ) -> FakeNotifier:
        outbox, contacts, accepted = memory_stores(real_clock)
        nats, mail, webhook = RecordingNats(), RecordingEmail(), RecordingWebhook()
        edges = InMemorySilentEdges()
        delivery = Delivery(
            clock=clock,
            outbox=outbox,
            contacts=contacts,
            edges=edges,
            nats=nats,
            email=mail if email else None,
            webhook=webhook,
            worker="worker-1",
            policy=policy,
        )
        reminders = Reminders(
            catalog=catalog,
            registry=registry,
            clock=clock,
            outbox=outbox,
            accepted=accepted,
            edges=edges,
            email_from=delivery.email_from,
            policy=ReminderPolicy(submit_url=SUBMIT_URL),
        )
        rejections = RejectionNotices(
            catalog=catalog,
            registry=registry,
            clock=clock,
            outbox=outbox,
            delivery=delivery,
            submit_url=SUBMIT_URL,
        )
        service = NotificationService(
            reminders=reminders, rejections=rejections, delivery=delivery, outbox=outbox
        )
        return cls(service, outbox, contacts, accepted, edges, nats, mail, webhook)


__all__ = [
    "FakeNotifier",
    "InMemoryAcceptedReports",
    "InMemoryContactStore",
    "InMemoryOutbox",
    "InMemorySilentEdges",
    "RecordingEmail",
    "RecordingNats",
    "RecordingWebhook",
    "memory_stores",
    "small_world",
]
