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

FastStream's default (REJECT_ON_ERROR) would terminate a message on any exception and lose it, so
the subscriber runs with ``AckPolicy.MANUAL`` and this module acknowledges explicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated

from faststream import AckPolicy, Context
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from nats.aio.msg import Msg
from nats.js.api import AckPolicy as ServerAckPolicy
from nats.js.api import DeliverPolicy

from shared.logging import get_logger
from shared.subjects import REPORTS_STREAM

log = get_logger(__name__)

MAX_DELIVER = 50
ACK_WAIT_SECONDS = 30.0
RETRY_DELAY_SECONDS = 2.0

BatchHandler = Callable[[Sequence[Msg]], Awaitable[None]]


def subscribe_batches(
    broker: NatsBroker,
    *,
    subject: str,
    durable: str,
    handler: BatchHandler,
    batch_size: int,
    batch_wait: float,
    stream: str = REPORTS_STREAM,
    description: str = "",
) -> None:
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=ServerAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ACK_WAIT_SECONDS,
        max_deliver=MAX_DELIVER,
        max_ack_pending=batch_size * 8,
        filter_subject=subject,
    )

    async def consume(
        body: list[bytes], message: Annotated[NatsBatchMessage, Context("message")]
    ) -> None:
        await _consume_batch(message.raw_message, handler, durable)

    consume.__name__ = f"consume_{durable.replace('-', '_')}"
    consume.__doc__ = description or f"Durable consumer {durable} on {subject}."
    broker.subscriber(
        subject,
        stream=JStream(stream, declare=False),
        durable=durable,
        config=config,
        pull_sub=PullSub(batch_size=batch_size, timeout=batch_wait, batch=True),
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_bodies,
        description=consume.__doc__,
    )(consume)


async def _raw_bodies(message: object) -> list[bytes]:
    # Bodies are decoded by the handlers, which turn undecodable input into rejections.
    raw = getattr(message, "raw_message", [])
    return [m.data for m in raw] if isinstance(raw, list) else []


async def _consume_batch(messages: Sequence[Msg], handler: BatchHandler, durable: str) -> None:
    try:
        await handler(messages)
    except Exception as error:
        log.warning("batch failed; retrying its messages one by one", consumer=durable,
                    size=len(messages), error=repr(error))
    else:
        await _ack_all(messages)
        return
    for message in messages:
        try:
            await handler([message])
        except Exception as error:
            log.error("message failed; it will be redelivered", consumer=durable,
                      stream_seq=message.metadata.sequence.stream, subject=message.subject,
                      deliveries=message.metadata.num_delivered, error=repr(error))
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
