"""Handing a submission to JetStream and reading back when it was stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js import JetStreamContext

from shared import subjects
from shared.schemas import Submission


@dataclass(frozen=True)
class Stored:
    stream_seq: int
    stored_at: datetime
    duplicate: bool
    unit: str


class SubmissionPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, submission: Submission, body: bytes, province: str) -> Stored:
        """Store ``body``, exactly as the submitter sent it; returns only once JetStream has acknowledged it.

        The stored time is read back from the stream so that a receipt is the same whether the
        report came over HTTP or straight onto NATS, and a retry within the duplicate window
        gets the original message's time.
        """
        ack = await self._js.publish(
            subjects.submitted(province, submission.unit),
            body,
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": submission.submission_id, "content-type": "application/json"},
        )
        stored = await self._js.get_msg(subjects.REPORTS_STREAM, ack.seq)
        assert stored.time is not None
        assert stored.subject is not None
        stored_at = stored.time if stored.time.tzinfo else stored.time.replace(tzinfo=UTC)
        return Stored(ack.seq, stored_at, bool(ack.duplicate), stored.subject.rsplit(".", 1)[-1])
