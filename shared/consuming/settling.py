"""How a fetched batch is settled: acknowledged, retried, or parked on the dead-letter subject.

The policy, in one place:
- A batch is acknowledged only after its effects are committed to PostgreSQL and every event it
  produced has a PubAck. A crash before that leaves the batch unacknowledged; JetStream
  redelivers it after ``ack_wait`` and the idempotent handler makes the repeat harmless.
- A transient failure (PostgreSQL or NATS unreachable, restarting, a deadlock) says nothing
  about the messages: the whole batch is negatively acknowledged with a delay and the consumer
  backs off. Nothing is ever given up for an outage, however long (``max_deliver`` is unlimited).
- Any other failure may be one bad message: each message of the batch is tried on its own, so
  it cannot hold back its neighbours. A message that keeps failing on its own
  (``POISON_AFTER`` deliveries) is a poison message: its original bytes go to the dead-letter
  subject ``reports.deadletter.<consumer>`` with the reason in headers, and it is terminated.
- Handlers turn bad input into rejections, and may also name messages for the dead-letter
  subject (unreadable bytes): those are parked there before the batch is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared import cloudevents, metrics, subjects, telemetry
from shared.consuming.policy import POISON_AFTER, RETRY_DELAY_SECONDS, DeadLetter
from shared.consuming.tracing import handling, record_failure, span_of, submission_id_of
from shared.logging import get_logger
from shared.outages import is_transient
from shared.subjects import REPORTS_STREAM

log = get_logger(__name__)

Handle = Callable[[Sequence[Msg]], Awaitable[Sequence[DeadLetter]]]


class Settlement:
    """Runs ``handle`` over a batch and settles every message of it by the policy above."""

    def __init__(
        self, *, durable: str, subject: str, handle: Handle, js: Callable[[], JetStreamContext]
    ) -> None:
        self.durable = durable
        self._handle = handle
        self._js = js
        self._processed = metrics.messages_processed.labels(durable, subject)
        self._outages = metrics.messages_failed.labels(durable, subject, "outage")
        self._faults = metrics.messages_failed.labels(durable, subject, "message")

    async def settle(self, messages: Sequence[Msg]) -> bool:
        """Handle one batch; False when the infrastructure failed and the consumer should back off."""
        try:
            await self._park(await self._handle(messages))
        except Exception as error:
            if is_transient(error):
                record_failure(messages, error)
                log.warning(
                    "batch failed on the infrastructure; it will be redelivered",
                    consumer=self.durable,
                    size=len(messages),
                    error=repr(error),
                )
                self._outages.inc(len(messages))
                for message in messages:
                    await _nak(message)
                return False
            log.warning(
                "batch failed; trying its messages one by one",
                consumer=self.durable,
                size=len(messages),
                error=repr(error),
            )
        else:
            for message in messages:
                await message.ack()
            self._processed.inc(len(messages))
            return True
        healthy = True
        for message in messages:
            with handling(message):
                healthy = await self._settle_alone(message) and healthy
        return healthy

    async def _settle_alone(self, message: Msg) -> bool:
        try:
            await self._park(await self._handle([message]))
        except Exception as error:
            return await self._failed_alone(message, error)
        await message.ack()
        self._processed.inc()
        return True

    async def _failed_alone(self, message: Msg, error: Exception) -> bool:
        record_failure([message], error)
        deliveries = message.metadata.num_delivered
        transient = is_transient(error)
        poison = not transient and deliveries >= POISON_AFTER
        (self._outages if transient else self._faults).inc()
        log.error(
            "message failed; dead-lettered" if poison else "message failed; it will be redelivered",
            consumer=self.durable,
            stream_seq=message.metadata.sequence.stream,
            subject=message.subject,
            deliveries=deliveries,
            error=repr(error),
        )
        if not poison:
            await _nak(message)
            return not transient
        try:
            await self._park([DeadLetter(message, "processing_failed", repr(error))])
        except Exception as parking_error:
            log.warning("dead-lettering failed", error=repr(parking_error))
            await _nak(message)
            return False
        await message.term()
        return True

    async def _park(self, dead: Sequence[DeadLetter]) -> None:
        """Publish each dead letter, original bytes intact, and wait for its PubAck."""
        if not dead:
            return
        js = self._js()
        await asyncio.gather(
            *(
                js.publish(
                    subjects.dead_letter(self.durable),
                    letter.message.data,
                    stream=REPORTS_STREAM,
                    headers=self._dead_letter_headers(letter),
                )
                for letter in dead
            )
        )
        metrics.events_published.labels(subjects.DEAD_LETTER).inc(len(dead))
        for letter in dead:
            metrics.dead_letters.labels(self.durable, letter.reason).inc()
            with handling(letter.message):
                log.warning(
                    "dead-lettered",
                    consumer=self.durable,
                    reason=letter.reason,
                    stream_seq=letter.message.metadata.sequence.stream,
                    subject=letter.message.subject,
                )

    def _dead_letter_headers(self, letter: DeadLetter) -> dict[str, str]:
        sequence = letter.message.metadata.sequence.stream
        headers = cloudevents.headers(
            event_id=f"deadletter:{self.durable}:{sequence}",
            event_type=cloudevents.DEAD_LETTERED,
            service=self.durable,
            subject=submission_id_of(letter.message),
            time=datetime.now(UTC),
            content_type=(letter.message.headers or {}).get("content-type", "application/json"),
        )
        headers |= {
            "Baocao-Reason": letter.reason,
            "Baocao-Detail": letter.detail[:2000],
            "Baocao-Original-Subject": letter.message.subject,
            "Baocao-Original-Sequence": str(sequence),
        }
        telemetry.inject(headers, span_of(letter.message))
        return headers


async def _nak(message: Msg) -> None:
    # A nak on a dead connection cannot be sent; ack_wait brings the message back anyway.
    with contextlib.suppress(Exception):
        await message.nak(delay=RETRY_DELAY_SECONDS)
