"""How every Baocao consumer takes messages from JetStream, and when it acknowledges them.

The policy, in one place:
- Messages come in batches from a durable pull consumer, so one database transaction covers many.
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

FastStream's default (REJECT_ON_ERROR) would terminate a message on any exception and lose it.
FastStream's batch pull subscriber (0.7.8) also keeps fetching until a batch is full or its timeout
passes, which under light load left fetched messages waiting for redelivery after ``ack_wait``;
so consumers use nats-py's pull subscription directly, with explicit acknowledgement here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared import subjects
from shared.logging import get_logger
from shared.subjects import REPORTS_STREAM

log = get_logger(__name__)

MAX_DELIVER = -1  # never give up: outages are waited out, poison is dead-lettered
POISON_AFTER = 3
ACK_WAIT_SECONDS = 10.0
RETRY_DELAY_SECONDS = 2.0
FETCH_WAIT_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 5.0

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    nats.errors.Error,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    asyncpg.exceptions.TransactionRollbackError,  # deadlock, serialization failure
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a failover in progress
)


# Errors from NATS that are about the message, not the server: retrying cannot help.
MESSAGE_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.MaxPayloadError,
    nats.errors.BadSubjectError,
)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` is about the infrastructure rather than the message."""
    if isinstance(error, MESSAGE_ERRORS):
        return False
    if isinstance(error, nats.js.errors.APIError):
        # A JetStream API error names the request's fault unless the service is unavailable.
        return (
            isinstance(
                error, nats.js.errors.ServiceUnavailableError | nats.js.errors.NoStreamResponseError
            )
            or (error.code or 0) >= 500
        )
    return isinstance(error, TRANSIENT_ERRORS)


@dataclass(frozen=True)
class DeadLetter:
    """A message a handler could not use, and why (a reason code and a readable detail)."""

    message: Msg
    reason: str
    detail: str


BatchHandler = Callable[[Sequence[Msg]], Awaitable[Sequence[DeadLetter]]]


class BatchConsumer:
    """A durable pull consumer feeding ``handler`` batches of whatever is waiting, up to
    ``batch_size``: a lone report is handled at once, a deadline-day burst in large batches."""

    def __init__(
        self,
        *,
        subject: str,
        durable: str,
        handler: BatchHandler,
        batch_size: int,
        stream: str = REPORTS_STREAM,
    ) -> None:
        self.subject = subject
        self.durable = durable
        self.handler = handler
        self.batch_size = batch_size
        self.stream = stream
        self._task: asyncio.Task[None] | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._js: JetStreamContext | None = None

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=MAX_DELIVER,
            max_ack_pending=self.batch_size * 8,
            filter_subject=self.subject,
        )

    async def start(self, js: JetStreamContext) -> None:
        subscription = await js.pull_subscribe(
            self.subject, durable=self.durable, stream=self.stream, config=self.config()
        )
        self._subscription = subscription
        self._js = js
        self._task = asyncio.create_task(self._run(subscription))

    async def _run(self, subscription: JetStreamContext.PullSubscription) -> None:
        backoff = 0.0
        while True:
            if backoff:
                await asyncio.sleep(backoff)
            try:
                messages = await subscription.fetch(self.batch_size, timeout=FETCH_WAIT_SECONDS)
            except (TimeoutError, NatsTimeoutError):
                continue
            except Exception as error:  # never let the loop die: log, back off, fetch again
                log.warning("fetch failed; retrying", consumer=self.durable, error=repr(error))
                backoff = _next_backoff(backoff)
                continue
            try:
                healthy = await self._consume(messages)
            except Exception as error:  # an ack lost with the connection: redelivered later
                log.warning("acknowledging failed", consumer=self.durable, error=repr(error))
                healthy = False
            backoff = 0.0 if healthy else _next_backoff(backoff)

    async def _consume(self, messages: Sequence[Msg]) -> bool:
        """Handle one batch; False when the infrastructure failed and the consumer should back off."""
        try:
            dead = await self.handler(messages)
            await self._park(dead)
        except Exception as error:
            if is_transient(error):
                log.warning(
                    "batch failed on the infrastructure; it will be redelivered",
                    consumer=self.durable,
                    size=len(messages),
                    error=repr(error),
                )
                await _nak_all(messages)
                return False
            log.warning(
                "batch failed; trying its messages one by one",
                consumer=self.durable,
                size=len(messages),
                error=repr(error),
            )
        else:
            await _ack_all(messages)
            return True
        healthy = True
        for message in messages:
            healthy = await self._consume_alone(message) and healthy
        return healthy

    async def _consume_alone(self, message: Msg) -> bool:
        try:
            dead = await self.handler([message])
            await self._park(dead)
        except Exception as error:
            deliveries = message.metadata.num_delivered
            poison = not is_transient(error) and deliveries >= POISON_AFTER
            log.error(
                "message failed; dead-lettered"
                if poison
                else "message failed; it will be redelivered",
                consumer=self.durable,
                stream_seq=message.metadata.sequence.stream,
                subject=message.subject,
                deliveries=deliveries,
                error=repr(error),
            )
            if not poison:
                await _nak(message)
                return not is_transient(error)
            try:
                await self._park([DeadLetter(message, "processing_failed", repr(error))])
            except Exception as parking_error:
                log.warning("dead-lettering failed", error=repr(parking_error))
                await _nak(message)
                return False
            await message.term()
            return True
        await message.ack()
        return True

    async def _park(self, dead: Sequence[DeadLetter]) -> None:
        """Publish each dead letter, original bytes intact, and wait for its PubAck."""
        if not dead:
            return
        assert self._js is not None
        await asyncio.gather(
            *(
                self._js.publish(
                    subjects.dead_letter(self.durable),
                    letter.message.data,
                    stream=REPORTS_STREAM,
                    headers={
                        "Nats-Msg-Id": f"deadletter:{self.durable}:{letter.message.metadata.sequence.stream}",
                        "Baocao-Reason": letter.reason,
                        "Baocao-Detail": letter.detail[:2000],
                        "Baocao-Original-Subject": letter.message.subject,
                        "Baocao-Original-Sequence": str(letter.message.metadata.sequence.stream),
                    },
                )
                for letter in dead
            )
        )
        for letter in dead:
            log.warning(
                "dead-lettered",
                consumer=self.durable,
                reason=letter.reason,
                stream_seq=letter.message.metadata.sequence.stream,
                subject=letter.message.subject,
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # Bounded: a batch stuck in I/O must not hold shutdown; its messages come back anyway.
            await asyncio.wait({self._task}, timeout=5)
        if self._subscription is not None:
            # Unacknowledged messages go back to the server after ack_wait; nothing is lost.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._subscription.unsubscribe(), 5)


def _next_backoff(current: float) -> float:
    return min(max(current * 2, 0.25), MAX_BACKOFF_SECONDS)


async def _nak(message: Msg) -> None:
    # A nak on a dead connection cannot be sent; ack_wait brings the message back anyway.
    with contextlib.suppress(Exception):
        await message.nak(delay=RETRY_DELAY_SECONDS)


async def _nak_all(messages: Sequence[Msg]) -> None:
    for message in messages:
        await _nak(message)


async def _ack_all(messages: Sequence[Msg]) -> None:
    for message in messages:
        await message.ack()


def stored_at(message: Msg) -> datetime:
    """When JetStream stored ``message``: the official time of receipt."""
    timestamp = message.metadata.timestamp
    return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)


def message_id(message: Msg) -> str | None:
    return (message.headers or {}).get("Nats-Msg-Id")
