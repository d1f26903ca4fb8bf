"""What intake's use case (submissions.py) needs from PostgreSQL and NATS, as protocols.

The asyncpg and NATS adapters implement them; tests/fakes/intake.py holds in-memory fakes, and
tests/integration/contracts/test_intake_stores.py runs one set of contract tests against the
fakes and PostgreSQL for the two stores (receipts, status).
"""

from __future__ import annotations

from typing import Protocol

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
