"""The validator's subscriber: reports.submitted.> in, verdicts out."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nats.aio.msg import Msg

from services.validator.domain.incoming import IncomingSubmission
from services.validator.service import ValidationService, unreadable
from shared import subjects, telemetry
from shared.consuming import BatchConsumer, DeadLetter, handling, message_id, span_of, stored_at
from shared.logging import get_logger
from shared.schemas import Verdict

DURABLE = "validator"
log = get_logger(__name__)


def build(service: ValidationService, *, batch_size: int) -> BatchConsumer:
    async def handle(messages: Sequence[Msg]) -> list[DeadLetter]:
        judged = await service.process(
            [
                IncomingSubmission(
                    subject=m.subject,
                    data=m.data,
                    msg_id=message_id(m),
                    stream_seq=m.metadata.sequence.stream,
                    stored_at=stored_at(m),
                    trace_carrier=telemetry.carrier_of(span_of(m)),
                )
                for m in messages
            ]
        )
        for message, verdict in zip(messages, judged, strict=True):
            _describe(message, verdict)
        # The sender already has its rejection; operators get the original bytes too.
        return [
            DeadLetter(messages[index], "unreadable_submission", detail)
            for index, detail in unreadable(judged)
        ]

    return BatchConsumer(
        subject=f"{subjects.SUBMITTED}.>", durable=DURABLE, handler=handle, batch_size=batch_size
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
