"""The validator's subscriber: reports.submitted.> in, verdicts out."""

from __future__ import annotations

import logging
from collections.abc import Callable

from faststream.nats import NatsBroker
from nats.aio.msg import Msg

from services.validator.domain.incoming import IncomingSubmission
from services.validator.usecases.validation import ValidationService, unreadable
from shared import subjects, telemetry
from shared.consuming import (
    Batch,
    BatchSubscriber,
    DeadLetter,
    batch_subscriber,
    handling,
    message_id,
    span_of,
    stored_at,
)
from shared.logging import get_logger
from shared.nats_permissions import VALIDATOR_DURABLE
from shared.schemas import Submission, Verdict

DURABLE = VALIDATOR_DURABLE
log = get_logger(__name__)


def subscribe(
    broker: NatsBroker, service: Callable[[], ValidationService | None], *, batch_size: int
) -> BatchSubscriber:
    """Declare the validator's consumer on ``broker``; ``service`` is asked for at each
    batch (it is built when the service starts, after the broker has declared its subscribers)."""

    @batch_subscriber(
        broker,
        topic=subjects.SUBMITTED,
        durable=DURABLE,
        batch_size=batch_size,
    )
    async def judge(submissions: Batch[Submission]) -> list[DeadLetter]:
        """The validator judges each submission against the catalog and the registry, records
        one verdict per submission id, and publishes it. Local systems publish here directly
        (Nats-Msg-Id = submission_id), or intake does on their behalf."""
        messages = submissions.messages
        judged = await _started(service).process([_incoming(m) for m in messages])
        for message, verdict in zip(messages, judged, strict=True):
            _describe(message, verdict)
        # The sender already has its rejection; operators get the original bytes too.
        return [
            DeadLetter(messages[index], "unreadable_submission", detail)
            for index, detail in unreadable(judged)
        ]

    return judge


STREAM_SOURCE_HEADER = "Nats-Stream-Source"


def _incoming(message: Msg) -> IncomingSubmission:
    return IncomingSubmission(
        subject=message.subject,
        data=message.data,
        msg_id=message_id(message),
        stream_seq=message.metadata.sequence.stream,
        stored_at=stored_at(message),
        trace_carrier=telemetry.carrier_of(span_of(message)),
        # JetStream stamps what a stream sources; REPORTS sources only the landing streams.
        via_edge=STREAM_SOURCE_HEADER in (message.headers or {}),
    )


def _describe(message: Msg, verdict: Verdict) -> None:
    """Name the report on the message's span, and log the verdict under it."""
    span = span_of(message)
    if span.is_recording():
        span.set_attributes(
            {
                telemetry.SUBMISSION_ID: verdict.submission_id,
                telemetry.REPORT_TYPE: verdict.report_type,
                telemetry.PERIOD: verdict.period,
                "baocao.status": verdict.status,
            }
        )
    if not log.is_enabled_for(logging.DEBUG):  # binding the context costs more than the line
        return
    with handling(message):
        log.debug(
            "judged",
            submission_id=verdict.submission_id,
            report_type=verdict.report_type,
            period=verdict.period,
            status=verdict.status,
            timeliness=verdict.timeliness,
            reasons=[r.code for r in verdict.reasons],
        )


def _started(service: Callable[[], ValidationService | None]) -> ValidationService:
    running = service()
    assert running is not None, "a batch arrived before the service started"
    return running
