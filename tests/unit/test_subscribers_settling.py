"""How a fetched batch is settled: acked after its effects, retried, or parked with its bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared.consuming import POISON_AFTER, DeadLetter
from shared.consuming.settling import Settlement


@dataclass
class Message:
    """A JetStream message that remembers how it was settled."""

    data: bytes
    seq: int
    deliveries: int = 1
    subject: str = "reports.accepted.01.00070"
    headers: dict[str, str] = field(default_factory=lambda: {"ce-subject": "s-1"})
    settled: list[str] = field(default_factory=list)
    log: list[str] | None = None

    @property
    def metadata(self) -> Any:
        return SimpleNamespace(
            sequence=SimpleNamespace(stream=self.seq), num_delivered=self.deliveries
        )

    async def ack(self) -> None:
        self._settle("ack")

    async def nak(self, delay: float | None = None) -> None:
        self._settle(f"nak {delay}")

    async def term(self) -> None:
        self._settle("term")

    def _settle(self, how: str) -> None:
        self.settled.append(how)
        if self.log is not None:
            self.log.append(f"{how} {self.seq}")


class Stream:
    """The JetStream publish a settlement parks dead letters with."""

    def __init__(self, log: list[str], *, failing: bool = False) -> None:
        self.published: list[tuple[str, bytes, dict[str, str]]] = []
        self.log = log
        self.failing = failing

    async def publish(
        self, subject: str, payload: bytes, *, stream: str, headers: dict[str, str]
    ) -> None:
        if self.failing:
            raise ConnectionError("nats is down")
        self.published.append((subject, payload, headers))
        self.log.append(f"park {headers['Baocao-Original-Sequence']}")


def batch(*bodies: bytes, deliveries: int = 1, log: list[str] | None = None) -> list[Message]:
    return [
        Message(body, seq=i, deliveries=deliveries, log=log) for i, body in enumerate(bodies, 1)
    ]


def settlement(handle: Any, stream: Stream) -> Settlement:
    return Settlement(
        durable="aggregator",
        subject="reports.accepted.>",
        handle=handle,
        js=lambda: cast(JetStreamContext, stream),
    )


def msgs(messages: Sequence[Message]) -> list[Msg]:
    return cast(list[Msg], list(messages))


class Handler:
    """Fails on bodies it is told to, with the error it is told to; records what it was given."""

    def __init__(self, error: Exception | None = None, *, bad: bytes = b"bad") -> None:
        self.error = error
        self.bad = bad
        self.calls: list[list[bytes]] = []
        self.park: set[bytes] = set()

    async def __call__(self, messages: Sequence[Msg]) -> list[DeadLetter]:
        self.calls.append([m.data for m in messages])
        if self.error is not None and any(m.data == self.bad for m in messages):
            raise self.error
        return [
            DeadLetter(m, "unreadable_verdict", "not JSON") for m in messages if m.data in self.park
        ]


async def test_a_batch_is_acknowledged_whole_once_its_handler_has_returned() -> None:
    log: list[str] = []
    handler = Handler()
    messages = batch(b"a", b"b", b"c", log=log)

    healthy = await settlement(handler, Stream(log)).settle(msgs(messages))

    assert healthy
    assert handler.calls == [[b"a", b"b", b"c"]]
    assert [m.settled for m in messages] == [["ack"], ["ack"], ["ack"]]


async def test_what_the_handler_names_is_parked_with_its_bytes_before_the_batch_is_acknowledged() -> (
    None
):
    log: list[str] = []
    handler = Handler()
    handler.park = {b"{not json"}
    stream = Stream(log)
    messages = batch(b"ok", b"{not json", log=log)

    await settlement(handler, stream).settle(msgs(messages))

    [(subject, payload, headers)] = stream.published
    assert subject == "reports.deadletter.aggregator"
    assert payload == b"{not json"
    assert headers["Baocao-Reason"] == "unreadable_verdict"
    assert headers["Baocao-Original-Subject"] == "reports.accepted.01.00070"
    assert log == ["park 2", "ack 1", "ack 2"]


@pytest.mark.parametrize(
    "outage",
    [ConnectionRefusedError("postgres down"), asyncpg.exceptions.DeadlockDetectedError("deadlock")],
    ids=["connection refused", "deadlock"],
)
async def test_an_outage_sends_the_whole_batch_back_with_a_delay_and_asks_to_back_off(
    outage: Exception,
) -> None:
    handler = Handler(outage, bad=b"a")
    messages = batch(b"a", b"b")

    healthy = await settlement(handler, Stream([])).settle(msgs(messages))

    assert not healthy
    assert handler.calls == [[b"a", b"b"]]  # not tried one by one: the messages are not at fault
    assert [m.settled for m in messages] == [["nak 2.0"], ["nak 2.0"]]


async def test_a_failing_message_is_tried_alone_so_its_neighbours_are_acknowledged() -> None:
    handler = Handler(ValueError("cannot fold"))
    messages = batch(b"a", b"bad", b"c")

    healthy = await settlement(handler, Stream([])).settle(msgs(messages))

    assert healthy
    assert handler.calls == [[b"a", b"bad", b"c"], [b"a"], [b"bad"], [b"c"]]
    assert [m.settled for m in messages] == [["ack"], ["nak 2.0"], ["ack"]]


async def test_a_message_failing_alone_for_the_poison_count_is_parked_and_terminated() -> None:
    log: list[str] = []
    handler = Handler(ValueError("cannot fold"))
    stream = Stream(log)
    [poison] = batch(b"bad", deliveries=POISON_AFTER, log=log)

    await settlement(handler, stream).settle(msgs([poison]))

    [(_, payload, headers)] = stream.published
    assert payload == b"bad"
    assert headers["Baocao-Reason"] == "processing_failed"
    assert "cannot fold" in headers["Baocao-Detail"]
    assert log == ["park 1", "term 1"]


async def test_poison_that_cannot_be_parked_is_sent_back_not_terminated() -> None:
    handler = Handler(ValueError("cannot fold"))
    [poison] = batch(b"bad", deliveries=POISON_AFTER)

    healthy = await settlement(handler, Stream([], failing=True)).settle(msgs([poison]))

    assert not healthy
    assert poison.settled == ["nak 2.0"]


async def test_a_transient_failure_is_never_poison_however_often_it_repeats() -> None:
    stream = Stream([])
    good, bad = batch(b"good", b"bad", deliveries=POISON_AFTER + 5)

    # Tried alone only when the batch's failure was not an outage: make the first call fail
    # with a message error, then the lone retry with an outage.
    errors = iter([ValueError("first"), ConnectionResetError("nats went away")])

    async def handle(messages: Sequence[Msg]) -> list[DeadLetter]:
        if any(m.data == b"bad" for m in messages):
            raise next(errors)
        return []

    healthy = await settlement(handle, stream).settle(msgs([good, bad]))

    assert not healthy
    assert stream.published == []
    assert good.settled == ["ack"]
    assert bad.settled == ["nak 2.0"]
