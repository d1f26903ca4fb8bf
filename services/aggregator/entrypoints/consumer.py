"""The aggregator's subscriber: reports.accepted.> in, province rollups updated."""

from __future__ import annotations

from collections.abc import Sequence

from nats.aio.msg import Msg
from pydantic import ValidationError

from services.aggregator.service import AggregationService
from shared import subjects
from shared.consuming import BatchConsumer, DeadLetter
from shared.schemas import Verdict

DURABLE = "aggregator"


def build(service: AggregationService, *, batch_size: int) -> BatchConsumer:
    async def handle(messages: Sequence[Msg]) -> list[DeadLetter]:
        verdicts = []
        dead = []
        for message in messages:
            try:
                verdicts.append(Verdict.model_validate_json(message.data))
            except ValidationError as error:
                # Only the validator publishes here: an unreadable event is a bug to look at,
                # parked with its bytes rather than retried or dropped.
                dead.append(DeadLetter(message, "unreadable_verdict", str(error)))
        await service.apply(verdicts)
        return dead

    return BatchConsumer(
        subject=f"{subjects.ACCEPTED}.>", durable=DURABLE, handler=handle, batch_size=batch_size
    )
