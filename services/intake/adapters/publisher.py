"""Handing a submission to JetStream and reading back when it was stored."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.js import JetStreamContext
from opentelemetry import trace

from services.intake.domain.receipt import Stored
from shared import cloudevents, metrics, subjects, telemetry
from shared.schemas import Submission


class SubmissionPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, submission: Submission, body: bytes, province: str) -> Stored:
        """Store ``body``, exactly as the submitter sent it; returns only once JetStream has acknowledged it.

        The stored time is read back from the stream so that a receipt is the same whether the
        report came over HTTP or straight onto NATS, and a retry within the duplicate window
        gets the original message's time.
        """
        subject = subjects.submitted(
            province, submission.unit, keyed=submission.keyed_by is not None
        )
        headers = cloudevents.headers(
            event_id=submission.submission_id,
            event_type=cloudevents.SUBMITTED,
            service="intake",
            subject=submission.submission_id,
            time=datetime.now(UTC),
        )
        span = telemetry.send_span(
            subjects.SUBMITTED,
            subject,
            attributes={
                telemetry.SUBMISSION_ID: submission.submission_id,
                telemetry.UNIT: submission.unit,
                telemetry.REPORT_TYPE: submission.report_type,
                telemetry.PERIOD: submission.period,
                "messaging.message.id": submission.submission_id,
            },
        )
        with trace.use_span(span, end_on_exit=True, record_exception=True):
            telemetry.inject(headers, span)
            ack = await self._js.publish(
                subject, body, stream=subjects.REPORTS_STREAM, headers=headers
            )
        metrics.events_published.labels(subjects.SUBMITTED).inc()
        stored = await self._js.get_msg(subjects.REPORTS_STREAM, ack.seq)
        assert stored.time is not None
        assert stored.subject is not None
        stored_at = stored.time if stored.time.tzinfo else stored.time.replace(tzinfo=UTC)
        # The unit of the first message under this id, which may be another unit's.
        return Stored(ack.seq, stored_at, bool(ack.duplicate), stored.subject.rsplit(".", 1)[-1])
