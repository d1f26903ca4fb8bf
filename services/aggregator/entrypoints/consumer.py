"""The aggregator's subscriber: reports.accepted.> in, province rollups updated."""

from __future__ import annotations

from collections.abc import Sequence

from nats.aio.msg import Msg
from pydantic import ValidationError

from services.aggregator.service import AggregationService
from shared import subjects
from shared.consuming import BatchConsumer
from shared.logging import get_logger
from shared.schemas import Verdict

DURABLE = "aggregator"
log = get_logger(__name__)


def build(service: AggregationService, *, batch_size: int) -> BatchConsumer:
    async def handle(messages: Sequence[Msg]) -> None:
        verdicts = []
        for message in messages:
            try:
                verdicts.append(Verdict.model_validate_json(message.data))
            except ValidationError as error:
                # Only the validator publishes here; an unreadable event is a bug to see, not to retry.
                log.error(
                    "unreadable verdict skipped",
                    subject=message.subject,
                    stream_seq=message.metadata.sequence.stream,
                    error=str(error),
                )
        await service.apply(verdicts)

    return BatchConsumer(
        subject=f"{subjects.ACCEPTED}.>", durable=DURABLE, handler=handle, batch_size=batch_size
    )
