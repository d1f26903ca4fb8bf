"""The services' FastStream subscribers against a closed nats-server, and where stock FastStream
0.7.8 falls short (docs/adr/0020-consumers-on-faststream.md).

The ``xfail(strict=True)`` tests run stock FastStream and assert what Baocao needs: each fails
today, which is the evidence for the workaround in ``shared.consuming.subscriber``; the day one
passes, the suite fails and says the workaround can go.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.client import Client

from baocao.embedded import EmbeddedNats
from baocao.nats_identities import NatsIdentities
from shared import subjects
from shared.consuming import (
    Batch,
    BatchSubscriber,
    ConsumerNotProvisioned,
    DeadLetter,
    batch_subscriber,
)
from shared.schemas import Submission

pytestmark = pytest.mark.integration

DURABLE = "validator"
SUBJECT = "reports.submitted.01.00004"
LONE_MESSAGE_SECONDS = 1.0


class Connected:
    """A broker connected as the validator's NATS user, noting every permission violation."""

    def __init__(self, server: EmbeddedNats, identities: NatsIdentities) -> None:
        self.violations: list[str] = []

        async def noted(error: Exception) -> None:
            self.violations.append(str(error).lower())

        self.broker = NatsBroker(
            server.url, **identities.options("validator"), error_cb=noted, allow_reconnect=False
        )
        self.inbox = identities.options("validator")["inbox_prefix"]


@pytest.fixture
async def ops(nats_server: EmbeddedNats, nats_identities: NatsIdentities) -> AsyncIterator[Client]:
    connection = await nats.connect(nats_server.url, **nats_identities.options("ops"))
    yield connection
    await connection.close()


@pytest.fixture
def validator(nats_server: EmbeddedNats, nats_identities: NatsIdentities) -> Connected:
    return Connected(nats_server, nats_identities)


class Recorder:
    """A handler that notes each batch, and parks the first message it ever sees."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.first_at: float | None = None
        self.arrived = asyncio.Event()

    async def __call__(self, submissions: Batch[Submission]) -> list[DeadLetter]:
        parked = [] if self.batches else [DeadLetter(submissions.messages[0], "test", "parked")]
        self.batches.append([m.data for m in submissions])
        self.first_at = self.first_at or time.monotonic()
        self.arrived.set()
        return parked


def ours(broker: NatsBroker, handler: Recorder) -> BatchSubscriber:
    async def judge(submissions: Batch[Submission]) -> list[DeadLetter]:
        """Records."""
        return await handler(submissions)

    return batch_subscriber(
        broker,
        topic=subjects.SUBMITTED,
        durable=DURABLE,
        batch_size=16,
    )(judge)


async def settled(ops: Client) -> Any:
    js = ops.jetstream()
    for _ in range(50):
        info = await js.consumer_info(subjects.REPORTS_STREAM, DURABLE)
        if info.num_ack_pending == 0 and info.num_pending == 0:
            return info
        await asyncio.sleep(0.1)
    return info


async def test_a_subscriber_binds_its_provisioned_durable_consumes_acks_and_parks_unrefused(
    ops: Client, validator: Connected
) -> None:
    handler = Recorder()
    subscriber = ours(validator.broker, handler)
    await ops.jetstream().publish(SUBJECT, b'{"submission_id": "s-1"}')

    await validator.broker.start()
    try:
        await asyncio.wait_for(handler.arrived.wait(), 5)
        info = await settled(ops)
    finally:
        await validator.broker.stop()

    assert handler.batches == [[b'{"submission_id": "s-1"}']]
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
    parked = await ops.jetstream().get_last_msg(
        subjects.REPORTS_STREAM, subjects.dead_letter(DURABLE)
    )
    assert parked.data == b'{"submission_id": "s-1"}'
    assert (parked.headers or {})["Baocao-Reason"] == "test"
    assert subscriber.subscription is None  # unsubscribed at stop
    assert validator.violations == []


async def test_a_subscriber_whose_durable_is_missing_says_to_provision_and_creates_nothing(
    ops: Client, validator: Connected
) -> None:
    await ops.jetstream().delete_consumer(subjects.REPORTS_STREAM, DURABLE)
    ours(validator.broker, Recorder())

    with pytest.raises(ConsumerNotProvisioned, match="run `baocao nats provision`"):
        await validator.broker.start()
    await validator.broker.stop()

    names = {c.name for c in await ops.jetstream().consumers_info(subjects.REPORTS_STREAM)}
    assert DURABLE not in names
    assert validator.violations == []


async def test_a_lone_message_is_handed_over_at_once(ops: Client, validator: Connected) -> None:
    handler = Recorder()
    ours(validator.broker, handler)
    await validator.broker.start()
    try:
        await asyncio.sleep(0.3)  # the first fetch is waiting
        sent = time.monotonic()
        await ops.jetstream().publish(SUBJECT, b"{}")
        await asyncio.wait_for(handler.arrived.wait(), 5)
    finally:
        await validator.broker.stop()

    assert handler.first_at is not None
    assert handler.first_at - sent < LONE_MESSAGE_SECONDS


def stock(connected: Connected, handler: Recorder, *, inbox: bytes | None = None) -> None:
    """FastStream's own batch pull subscriber, configured as Baocao would want it."""

    async def judge(submissions: Batch[Submission]) -> list[DeadLetter]:
        return await handler(submissions)

    options: dict[str, Any] = {"inbox_prefix": inbox} if inbox is not None else {}
    connected.broker.subscriber(
        f"{subjects.SUBMITTED}.>",
        stream=JStream(subjects.REPORTS_STREAM, declare=False),
        durable=DURABLE,
        pull_sub=PullSub(16, timeout=3.0, batch=True),
        ack_policy=AckPolicy.MANUAL,
        decoder=lambda message: Batch(message.raw_message),
        **options,
    )(judge)


@pytest.mark.xfail(
    strict=True, reason="FastStream 0.7.8 holds a batch until it is full or timed out"
)
async def test_stock_faststream_hands_a_lone_message_over_at_once(
    ops: Client, validator: Connected
) -> None:
    handler = Recorder()
    stock(validator, handler, inbox=f"{validator.inbox}.".encode())
    await validator.broker.start()
    try:
        await asyncio.sleep(0.3)
        sent = time.monotonic()
        await ops.jetstream().publish(SUBJECT, b"{}")
        await asyncio.wait_for(handler.arrived.wait(), 10)
    finally:
        await validator.broker.stop()

    assert handler.first_at is not None
    assert handler.first_at - sent < LONE_MESSAGE_SECONDS


@pytest.mark.xfail(strict=True, reason="FastStream 0.7.8 creates a durable it does not find")
async def test_stock_faststream_binds_a_missing_durable_without_trying_to_create_it(
    ops: Client, validator: Connected
) -> None:
    await ops.jetstream().delete_consumer(subjects.REPORTS_STREAM, DURABLE)
    stock(validator, Recorder(), inbox=f"{validator.inbox}.".encode())

    try:
        with pytest.raises(ConsumerNotProvisioned):
            await validator.broker.start()
    finally:
        await validator.broker.stop()
    assert validator.violations == []


@pytest.mark.xfail(strict=True, reason="FastStream 0.7.8 pulls on _INBOX., not the connection's")
async def test_stock_faststream_pulls_on_the_connections_own_inbox(
    ops: Client, validator: Connected
) -> None:
    handler = Recorder()
    stock(validator, handler)
    await ops.jetstream().publish(SUBJECT, b"{}")
    await validator.broker.start()
    try:
        await asyncio.wait_for(handler.arrived.wait(), 5)
    finally:
        await validator.broker.stop()
    assert validator.violations == []
