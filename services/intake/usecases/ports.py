"""What intake's use cases (submissions.py, devices.py) need from PostgreSQL and NATS, as
protocols.

The asyncpg and NATS adapters implement them; tests/fakes/intake.py holds in-memory fakes, and
tests/integration/contracts/test_intake_stores.py runs one set of contract tests against the
fakes and PostgreSQL for the three stores (receipts, status, devices).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.intake.domain.devices import DeviceKey, Registered
from services.intake.domain.receipt import Stored, StoredReceipt
from shared.schemas import Submission, SubmissionStatus, Verdict


class ReceiptRecords(Protocol):
    """Receipts for submissions that came in over HTTP: the first one for an id is kept."""

    async def get(self, submission_id: str) -> StoredReceipt | None: ...

    async def save(self, receipt: StoredReceipt, report_type: str, period: str) -> StoredReceipt:
        """Keep the first receipt for an id; returns the one on record."""
        ...


class StatusRecords(Protocol):
    async def status(self, submission_id: str) -> SubmissionStatus | None:
        """Where a submission stands: its verdict (superseded when a later accepted one is
        current), else received when only its receipt is kept, else None."""
        ...


class SubmissionStream(Protocol):
    async def publish(self, submission: Submission, body: bytes, province: str) -> Stored:
        """Store ``body`` as sent; returns once JetStream has acknowledged it."""
        ...


class ValidatorUnavailable(Exception):
    """No validator answered a dry run, or it could not judge now: the same request may be
    sent again."""


class DryRunJudge(Protocol):
    async def judge(self, body: bytes, unit: str) -> Verdict:
        """The validator's verdict on ``body`` now; raises ValidatorUnavailable."""
        ...


class DeviceRecords(Protocol):
    """Browsers' keys among the units' signing keys, and when the hub heard from each."""

    async def register(self, key: DeviceKey) -> Registered | None:
        """Register ``key`` for its unit, or find it on record with the same public key (then
        with the ``valid_from`` it was first registered with). None when the unit has that key
        id with another public key, or the public key is registered under any other key."""
        ...

    async def seen(self, unit: str, key_id: str, at: datetime) -> bool:
        """Record a contact from ``unit``'s device ``key_id`` at ``at``: its latest interval of
        presence grows to ``at`` when it ended within PRESENCE_GAP of ``at`` (or later), else a
        new interval starts at ``at``. Two contacts at once make one interval. False, with
        nothing recorded, when the unit has no key ``key_id``."""
        ...
