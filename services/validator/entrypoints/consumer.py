"""The validator's subscriber: reports.submitted.> in, verdicts out."""

from __future__ import annotations

from collections.abc import Sequence

from faststream.nats import NatsBroker
from nats.aio.msg import Msg

from services.validator.domain.incoming import IncomingSubmission
from services.validator.service import ValidationService
from shared import subjects
from shared.consuming import message_id, stored_at, subscribe_batches

DURABLE = "validator"


def register(broker: NatsBroker, service: ValidationService, *, batch_size: int, batch_wait: float) -> None:
    async def handle(messages: Sequence[Msg]) -> None:
        await service.process([
            IncomingSubmission(
                subject=m.subject,
                data=m.data,
                msg_id=message_id(m),
                stream_seq=m.metadata.sequence.stream,
                stored_at=stored_at(m),
            )
            for m in messages
        ])

    subscribe_batches(
        broker,
        subject=f"{subjects.SUBMITTED}.>",
        durable=DURABLE,
        handler=handle,
        batch_size=batch_size,
        batch_wait=batch_wait,
        description="Judges each submitted report; publishes reports.accepted.* or reports.rejected.*.",
    )
