"""The aggregator's subscriber: reports.accepted.> in, province rollups updated."""

from __future__ import annotations

from collections.abc import Sequence

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from pydantic import ValidationError

from services.aggregator.service import AggregationService
from shared import subjects
from shared.consuming import subscribe_batches
from shared.logging import get_logger
from shared.schemas import Verdict

DURABLE = "aggregator"
log = get_logger(__name__)


def register(broker: NatsBroker, service: AggregationService, *, batch_size: int, batch_wait: float) -> None:
    async def handle(messages: Sequence[Msg]) -> None:
        verdicts = []
        for message in messages:
            try:
                verdicts.append(Verdict.model_validate_json(message.data))
            except ValidationError as error:
                # Only the validator publishes here; an unreadable event is a bug to see, not to retry.
                log.error("unreadable verdict skipped", subject=message.subject,
                          stream_seq=message.metadata.sequence.stream, error=str(error))
        await service.apply(verdicts)

    subscribe_batches(
        broker,
        subject=f"{subjects.ACCEPTED}.>",
        durable=DURABLE,
        handler=handle,
        batch_size=batch_size,
        batch_wait=batch_wait,
        description="Keeps the latest accepted report per unit and recomputes province rollups.",
    )
