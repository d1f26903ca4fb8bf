"""How every Baocao consumer takes messages from JetStream, and when it acknowledges them.

The policy, in one place:
- Messages come in batches from a durable pull consumer, so one database transaction covers many.
- A batch is acknowledged only after its effects are committed to PostgreSQL and every event it
  produced has a PubAck. A crash before that leaves the batch unacknowledged; JetStream
  redelivers it after ``ack_wait`` and the idempotent handler makes the repeat harmless.
- If the batch fails, each message is tried on its own, so one message that cannot be processed
  cannot hold back its neighbours. A message that still fails is negatively acknowledged with a
  delay and retried up to ``MAX_DELIVER`` times; after that it stays in the stream (limits
  retention) and the server announces it on the MAX_DELIVERIES advisory.
- Bad input is never an exception here: handlers turn it into a rejection.

FastStream's default (REJECT_ON_ERROR) would terminate a message on any exception and lose it.
FastStream's batch pull subscriber (0.7.8) also keeps fetching until a batch is full or its timeout
passes, which under light load left fetched messages waiting for redelivery after ``ack_wait``;
so consumers use nats-py's pull subscription directly, with explicit acknowledgement here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from shared.logging import get_logger
from shared.subjects import REPORTS_STREAM

log = get_logger(__name__)

MAX_DELIVER = 50
ACK_WAIT_SECONDS = 30.0
RETRY_DELAY_SECONDS = 2.0
FETCH_WAIT_SECONDS = 2.0

BatchHandler = Callable[[Sequence[Msg]], Awaitable[None]]


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
        self._task = asyncio.create_task(self._run(subscription))

    async def _run(self, subscription: JetStreamContext.PullSubscription) -> None:
        while True:
            try:
                messages = await subscription.fetch(self.batch_size, timeout=FETCH_WAIT_SECONDS)
            except (TimeoutError, NatsTimeoutError):
                continue
            except (ConnectionClosedError, ServiceUnavailableError) as error:
                log.warning("fetch failed; retrying", consumer=self.durable, error=repr(error))
                await asyncio.sleep(RETRY_DELAY_SECONDS)
                continue
            await _consume_batch(messages, self.handler, self.durable)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._subscription is not None:
            # Unacknowledged messages go back to the server after ack_wait; nothing is lost.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()


async def _consume_batch(messages: Sequence[Msg], handler: BatchHandler, durable: str) -> None:
    try:
        await handler(messages)
    except Exception as error:
        log.warning(
            "batch failed; retrying its messages one by one",
            consumer=durable,
            size=len(messages),
            error=repr(error),
        )
    else:
        await _ack_all(messages)
        return
    for message in messages:
        try:
            await handler([message])
        except Exception as error:
            log.error(
                "message failed; it will be redelivered",
                consumer=durable,
                stream_seq=message.metadata.sequence.stream,
                subject=message.subject,
                deliveries=message.metadata.num_delivered,
                error=repr(error),
            )
            await message.nak(delay=RETRY_DELAY_SECONDS)
        else:
            await message.ack()


async def _ack_all(messages: Sequence[Msg]) -> None:
    for message in messages:
        await message.ack()


def stored_at(message: Msg) -> datetime:
    """When JetStream stored ``message``: the official time of receipt."""
    timestamp = message.metadata.timestamp
    return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)


def message_id(message: Msg) -> str | None:
    return (message.headers or {}).get("Nats-Msg-Id")
