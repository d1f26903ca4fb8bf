"""What the notifier's use cases need from storage and channels, as protocols, and the values
they exchange.

Each protocol has a PostgreSQL adapter (``adapters/``) and an in-memory fake
(``tests/fakes/notifier.py``); one set of contract tests (``tests/integration/contracts/
test_notifier_stores.py``) runs against both, so the fake keeps the adapter's promises: above
all the outbox's, a delivery claimed by one worker at a time, sent once, and taken over by
another worker once a crashed holder's lease has run out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.notifier.domain.schedule import SubmittedKey
from shared.schemas import Notice, NoticeDeadLettered


@dataclass(frozen=True)
class NewNotice:
    notice: Notice
    about: Sequence[str]  # units whose accepted reports make the notice pointless
    carrier: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Claimed:
    notice: Notice
    channel: str
    carrier: Mapping[str, str]
    about: tuple[str, ...] = ()  # the units it chases, as recorded by NewNotice


@dataclass(frozen=True)
class Cancelled:
    notice_id: str
    channel: str
    stage: str


@dataclass(frozen=True)
class Contact:
    unit: str
    emails: tuple[str, ...]
    webhook_url: str | None
    webhook_secret: str | None
    updated_by: str
    updated_at: datetime


class DeliveryFailed(Exception):
    """The channel did not take the message. ``permanent``: trying again cannot help (NATS
    refused it for what it is, or the webhook's target is one we may not call); ``outage``: our
    own backbone is down, not the recipient."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        permanent: bool = False,
        outage: bool = False,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.permanent = permanent
        self.outage = outage


class NatsSender(Protocol):
    """``notify.<unit>`` on NATS, and the dead-letter subject. Every sender raises
    :class:`DeliveryFailed` when its channel did not take the message."""

    async def send(self, notice: Notice, now: datetime, carrier: Mapping[str, str]) -> None: ...

    async def dead_letter(self, event: NoticeDeadLettered) -> None: ...


class EmailSender(Protocol):
    async def send(self, notice: Notice, recipients: tuple[str, ...], now: datetime) -> None: ...


class WebhookSender(Protocol):
    async def send(self, notice: Notice, url: str, secret: str) -> None: ...


class Outbox(Protocol):
    """Notices, their deliveries per channel (NATS, e-mail, webhook) and every attempt.

    Leases and retry delays run in real time, not in system time: they guard against a worker
    that stopped, however the system clock is set."""

    async def scheduled(self, periods: Collection[tuple[str, str]]) -> set[str]:
        """The ids of every notice on record for these (report type, period)."""
        ...

    async def add(
        self, notices: Sequence[NewNotice], now: datetime, *, email_from: datetime | None
    ) -> Counter[str]:
        """Record the notices not yet on record (by notice id) with their deliveries: NATS
        always; the webhook and e-mail (not before ``email_from``; None: e-mail is off) where
        the recipient's contacts have them. How many were new, by stage."""
        ...

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
        """Lease up to ``limit`` deliveries due by ``now`` on ``channels`` to ``worker``:
        pending, past their retry delay, and unclaimed or with an expired lease."""
        ...

    async def begin_attempt(
        self, notice_id: str, channel: str, worker: str, lease_seconds: float, at: datetime
    ) -> tuple[int, int] | None:
        """(attempt id, attempt number) with the lease renewed, or None if ``worker`` no longer
        holds the delivery: then it must not send."""
        ...

    async def release(
        self, notice_id: str, channel: str, worker: str, *, wait_seconds: float = 0.0
    ) -> None:
        """Give back a claimed delivery without an attempt, to be claimed again after
        ``wait_seconds`` of real time (at once by default)."""
        ...

    async def finish_sent(
        self, attempt_id: int, notice_id: str, channel: str, at: datetime
    ) -> None: ...

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
        """A failed attempt: retried after ``retry_in`` seconds, or dead (None)."""
        ...

    async def close_undeliverable(
        self, notice_id: str, channel: str, at: datetime, reason: str
    ) -> None: ...

    async def cancel_answered(
        self, now: datetime, periods: Collection[tuple[str, str]] | None = None
    ) -> list[Cancelled]:
        """Cancel the pending deliveries of notices (never rejections) all of whose units now
        have an accepted report."""
        ...

    async def unsent_count(self) -> int: ...


class NoticeHistory(Protocol):
    async def history(self, unit: str, limit: int) -> list[dict[str, Any]]:
        """The notices sent to or about ``unit``, newest first: ``notice``, ``created_at``,
        ``cancelled_at`` and ``deliveries``, each with its attempts in ``history``."""
        ...


class AcceptedReports(Protocol):
    async def submitted(self, periods: Collection[tuple[str, str]]) -> set[SubmittedKey]:
        """(report type, period, unit) with an accepted report, for these (type, period)."""
        ...


class SilentEdges(Protocol):
    async def silent(self, units: Collection[str]) -> dict[str, datetime]:
        """Of ``units``, those whose edge link the hub hears nothing from now, each with the
        last time it heard from it (the view ``silent_edges``, the hub's own record)."""
        ...


class ContactStore(Protocol):
    async def get(self, unit: str) -> Contact | None: ...

    async def get_many(self, units: Collection[str]) -> dict[str, Contact]: ...

    async def put(self, contact: Contact) -> bool:
        """Create or replace a unit's contacts; True if it had none before."""
        ...

    async def delete(self, unit: str) -> bool:
        """True if the unit had contacts."""
        ...
