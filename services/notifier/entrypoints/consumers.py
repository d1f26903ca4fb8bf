"""The notifier's subscribers: accepted verdicts cancel reminders, rejected ones are explained.

Both durables start, when ops first creates them, at the end of the stream: a notifier deployed
on a stream holding a year of verdicts must not tell every unit about every old rejection. Once
created, a durable resumes where it stopped, so nothing is missed across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, ValidationError

from services.notifier.usecases.notifications import NotificationService
from shared import subjects, telemetry
from shared.consuming import (
    Batch,
    BatchSubscriber,
    DeadLetter,
    batch_subscriber,
    span_of,
)
from shared.nats_permissions import NOTIFIER_ACCEPTED_DURABLE, NOTIFIER_REJECTED_DURABLE
from shared.schemas import Verdict

Event = TypeVar("Event", bound=BaseModel)

ACCEPTED_DURABLE = NOTIFIER_ACCEPTED_DURABLE
REJECTED_DURABLE = NOTIFIER_REJECTED_DURABLE


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


def subscribe(
    broker: NatsBroker, service: Callable[[], NotificationService | None], *, batch_size: int
) -> list[BatchSubscriber]:
    """Declare the notifier's two consumers on ``broker``; ``service`` is asked
    for at each batch (built when the service starts, after the subscribers are declared)."""

    @batch_subscriber(
        broker,
        topic=subjects.ACCEPTED,
        durable=ACCEPTED_DURABLE,
        deliver_policy=DeliverPolicy.NEW,
        batch_size=batch_size,
    )
    async def cancel_reminders(accepted: Batch[Verdict]) -> list[DeadLetter]:
        """The notifier cancels unsent reminders and escalations about a unit whose report has
        now been accepted."""
        read, dead = _read(accepted.messages, _Reported)
        await _started(service).on_accepted({(v.unit, v.report_type, v.period) for _, v in read})
        return dead

    @batch_subscriber(
        broker,
        topic=subjects.REJECTED,
        durable=REJECTED_DURABLE,
        deliver_policy=DeliverPolicy.NEW,
        batch_size=batch_size,
    )
    async def explain_rejections(rejected: Batch[Verdict]) -> list[DeadLetter]:
        """The notifier tells the submitting unit, on notify.<unit>, why its report was
        rejected."""
        read, dead = _read(rejected.messages, Verdict)
        await _started(service).on_rejected(
            [verdict for _, verdict in read],
            {v.submission_id: telemetry.carrier_of(span_of(m)) for m, v in read},
        )
        return dead

    return [cancel_reminders, explain_rejections]


def _started(service: Callable[[], NotificationService | None]) -> NotificationService:
    running = service()
    assert running is not None, "a batch arrived before the service started"
    return running
