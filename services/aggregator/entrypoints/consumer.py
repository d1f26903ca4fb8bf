"""The aggregator's subscriber: reports.accepted.> in, province rollups updated."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nats.aio.msg import Msg
from pydantic import ValidationError

from services.aggregator.adapters.feed_publisher import traced_by
from services.aggregator.service import AggregationService
from shared import subjects, telemetry
from shared.consuming import BatchConsumer, DeadLetter, handling, span_of
from shared.logging import get_logger
from shared.schemas import Verdict

DURABLE = "aggregator"
log = get_logger(__name__)


def build(service: AggregationService, *, batch_size: int) -> BatchConsumer:
    async def handle(messages: Sequence[Msg]) -> list[DeadLetter]:
        verdicts = []
        read = []
        dead = []
        for message in messages:
            try:
                verdict = Verdict.model_validate_json(message.data)
            except ValidationError as error:
                # Only the validator publishes here: an unreadable event is a bug to look at,
                # parked with its bytes rather than retried or dropped.
                dead.append(DeadLetter(message, "unreadable_verdict", str(error)))
                continue
            verdicts.append(verdict)
            read.append((message, verdict))
        # The live feed's update of a rollup continues the trace of the batch's last report
        # for it, so following one report leads to the update it caused.
        last = {(v.report_type, v.period, v.province or ""): m for m, v in read}
        with traced_by({key: telemetry.carrier_of(span_of(m)) for key, m in last.items()}):
            await service.apply(verdicts)
        for message, verdict in read:
            _describe(message, verdict)
        return dead

    return BatchConsumer(
        subject=f"{subjects.ACCEPTED}.>", durable=DURABLE, handler=handle, batch_size=batch_size
    )


def _describe(message: Msg, verdict: Verdict) -> None:
    span = span_of(message)
    if span.is_recording():
        span.set_attributes(
            {telemetry.REPORT_TYPE: verdict.report_type, telemetry.PERIOD: verdict.period}
        )
    if not log.is_enabled_for(logging.DEBUG):  # binding the context costs more than the line
        return
    with handling(message):
        log.debug(
            "rolled up",
            submission_id=verdict.submission_id,
            report_type=verdict.report_type,
            period=verdict.period,
            province=verdict.province,
        )
