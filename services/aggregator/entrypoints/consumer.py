"""The aggregator's subscriber: reports.accepted.> in, province rollups updated."""

from __future__ import annotations

import logging
from collections.abc import Callable

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from pydantic import ValidationError

from services.aggregator.adapters.feed_publisher import traced_by
from services.aggregator.usecases.aggregation import AggregationService
from shared import subjects, telemetry
from shared.consuming import (
    Batch,
    BatchSubscriber,
    DeadLetter,
    batch_subscriber,
    handling,
    span_of,
)
from shared.logging import get_logger
from shared.nats_permissions import AGGREGATOR_DURABLE
from shared.schemas import Verdict

DURABLE = AGGREGATOR_DURABLE
log = get_logger(__name__)


def subscribe(
    broker: NatsBroker, service: Callable[[], AggregationService | None], *, batch_size: int
) -> BatchSubscriber:
    """Declare the aggregator's consumer on ``broker``; ``service`` is asked for at each
    batch (it is built when the service starts, after the broker has declared its subscribers)."""

    @batch_subscriber(
        broker,
        topic=subjects.ACCEPTED,
        durable=DURABLE,
        batch_size=batch_size,
    )
    async def roll_up(accepted: Batch[Verdict]) -> list[DeadLetter]:
        """The aggregator folds each unit's latest accepted report into its province's rollup;
        Central is summed from the 34 province rows."""
        read: list[tuple[Msg, Verdict]] = []
        dead = []
        for message in accepted:
            try:
                read.append((message, Verdict.model_validate_json(message.data)))
            except ValidationError as error:
                # Only the validator publishes here: an unreadable event is a bug to look at,
                # parked with its bytes rather than retried or dropped.
                dead.append(DeadLetter(message, "unreadable_verdict", str(error)))
        # The live feed's update of a rollup continues the trace of the batch's last report
        # for it, so following one report leads to the update it caused.
        last = {(v.report_type, v.period, v.province or ""): m for m, v in read}
        with traced_by({key: telemetry.carrier_of(span_of(m)) for key, m in last.items()}):
            await _started(service).apply([verdict for _, verdict in read])
        for message, verdict in read:
            _describe(message, verdict)
        return dead

    return roll_up


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


def _started(service: Callable[[], AggregationService | None]) -> AggregationService:
    running = service()
    assert running is not None, "a batch arrived before the service started"
    return running
