"""The notifier's subscribers: accepted verdicts cancel reminders, rejected ones are explained."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, ValidationError

from services.notifier.service import NotificationService
from shared import subjects, telemetry
from shared.consuming import BatchConsumer, DeadLetter, span_of
from shared.schemas import Verdict

Event = TypeVar("Event", bound=BaseModel)

ACCEPTED_DURABLE = "notifier-accepted"
REJECTED_DURABLE = "notifier-rejected"


class _Reported(BaseModel):
    """What an accepted verdict says that cancelling reminders needs: validating the whole
    verdict, values and all, cost more than everything else this consumer does."""

    unit: str
    report_type: str
    period: str


def _read(
    messages: Sequence[Msg], model: type[Event]
) -> tuple[list[tuple[Msg, Event]], list[DeadLetter]]:
    read: list[tuple[Msg, Event]] = []
    dead: list[DeadLetter] = []
    for message in messages:
        try:
            verdict = model.model_validate_json(message.data)
        except ValidationError as error:
            # Only the validator publishes verdicts: an unreadable one is a bug to look at.
            dead.append(DeadLetter(message, "unreadable_verdict", str(error)))
            continue
        span = span_of(message)
        if span.is_recording():
            span.set_attributes(
                {
                    telemetry.REPORT_TYPE: getattr(verdict, "report_type", ""),
                    telemetry.PERIOD: getattr(verdict, "period", ""),
                }
            )
        read.append((message, verdict))
    return read, dead


def build(service: NotificationService, *, batch_size: int) -> list[BatchConsumer]:
    """Both consumers start, when first created, at the end of the stream: a notifier deployed
    on a stream holding a year of verdicts must not tell every unit about every old rejection.
    Once created, a durable resumes where it stopped, so nothing is missed across restarts."""

    async def accepted(messages: Sequence[Msg]) -> list[DeadLetter]:
        read, dead = _read(messages, _Reported)
        await service.on_accepted({(v.unit, v.report_type, v.period) for _, v in read})
        return dead

    async def rejected(messages: Sequence[Msg]) -> list[DeadLetter]:
        read, dead = _read(messages, Verdict)
        await service.on_rejected(
            [verdict for _, verdict in read],
            {v.submission_id: telemetry.carrier_of(span_of(m)) for m, v in read},
        )
        return dead

    return [
        BatchConsumer(
            subject=f"{subjects.ACCEPTED}.>",
            durable=ACCEPTED_DURABLE,
            handler=accepted,
            batch_size=batch_size,
            deliver_policy=DeliverPolicy.NEW,
        ),
        BatchConsumer(
            subject=f"{subjects.REJECTED}.>",
            durable=REJECTED_DURABLE,
            handler=rejected,
            batch_size=batch_size,
            deliver_policy=DeliverPolicy.NEW,
        ),
    ]
