"""The validator's subscriber: reports.submitted.> in, verdicts out."""

from __future__ import annotations

from collections.abc import Sequence

from nats.aio.msg import Msg

from services.validator.domain.incoming import IncomingSubmission
from services.validator.service import ValidationService, unreadable
from shared import subjects
from shared.consuming import BatchConsumer, DeadLetter, message_id, stored_at

DURABLE = "validator"


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
                )
                for m in messages
            ]
        )
        # The sender already has its rejection; operators get the original bytes too.
        return [
            DeadLetter(messages[index], "unreadable_submission", detail)
            for index, detail in unreadable(judged)
        ]

    return BatchConsumer(
        subject=f"{subjects.SUBMITTED}.>", durable=DURABLE, handler=handle, batch_size=batch_size
    )
