"""A consumer's fetch loop: it outlives failing fetches and acks, backing off, and a loop or lag
watcher that ends while the consumer runs is logged (and a dead loop fails ``/healthz``).

The subscriber is declared and bound as in a service, on FastStream's in-memory broker, with a
scripted pull subscription in place of JetStream; each batch goes through the real pipeline
and settlement. The backoff is shortened so nothing waits for seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import httpx
import nats.errors
import pytest
from fastapi import FastAPI
from faststream.nats import NatsBroker, TestNatsBroker
from structlog.testing import capture_logs

from shared.consuming import Batch, BatchSubscriber, DeadLetter, batch_subscriber
from shared.consuming import subscriber as subscriber_module
from shared.runtime import Runtime, add_health_routes
from shared.schemas import Verdict

DURABLE = "aggregator"
FIRST_BACKOFF = 0.02  # stands for policy's 0.25 s
ENDED = "consumer task ended unexpectedly"


class Crash(BaseException):
    """Stands for a bug the loop does not catch: it ends the task."""


@dataclass
class Message:
    """A fetched JetStream message that remembers how it was settled."""

    seq: int
    failing_ack: bool = False
    subject: str = "reports.accepted.01.00070"
    data: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> Any:
        return SimpleNamespace(sequence=SimpleNamespace(stream=self.seq), num_delivered=1)

    async def ack(self) -> None:
        if self.failing_ack:
            raise nats.errors.ConnectionClosedError
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")


class Subscription:
    """A pull subscription whose fetches answer from a script, then wait; cancelled, a waiting
    fetch raises ConnectionClosedError, as nats-py's does when the subscriber stops."""

    def __init__(self, *answers: list[Message] | BaseException) -> None:
        self.answers = list(answers)
        self.fetched_at: list[float] = []

    async def fetch(self, batch: int, timeout: float) -> list[Message]:
        self.fetched_at.append(asyncio.get_running_loop().time())
        if not self.answers:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                raise nats.errors.ConnectionClosedError from None
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def unsubscribe(self) -> None:
        pass


class JetStream:
    """What binding asks of JetStream: the durable exists, and a pull subscription on it."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription

    async def consumer_info(self, stream: str, durable: str) -> None:
        pass

    async def pull_subscribe_bind(self, **options: Any) -> Subscription:
        return self.subscription


async def watching_quietly(*args: Any, **kwargs: Any) -> None:
    await asyncio.Event().wait()


@dataclass
class Consumer:
    subscriber: BatchSubscriber
    handled: list[list[Message]]


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff the loop had each time it asked for the next one (doubling from 0.02 s)."""
    seen: list[float] = []

    def next_backoff(current: float) -> float:
        seen.append(current)
        return current * 2 if current else FIRST_BACKOFF

    monkeypatch.setattr(subscriber_module, "next_backoff", next_backoff)
    return seen


@contextlib.asynccontextmanager
async def running(
    monkeypatch: pytest.MonkeyPatch,
    subscription: Subscription,
    *,
    watch_lag: Callable[..., Any] = watching_quietly,
) -> AsyncIterator[Consumer]:
    """The aggregator's subscriber, started and bound to ``subscription``; stopped on exit."""
    broker = NatsBroker()
    handled: list[list[Message]] = []

    @batch_subscriber(
        broker,
        topic="reports.accepted",
        durable=DURABLE,
        batch_size=10,
    )
    async def roll_up(accepted: Batch[Verdict]) -> list[DeadLetter]:
        """Records each batch."""
        handled.append(cast(list[Message], accepted.messages))
        return []

    js = JetStream(subscription)
    monkeypatch.setattr(BatchSubscriber, "jetstream", property(lambda _: js))
    monkeypatch.setattr(subscriber_module, "watch_lag", watch_lag)
    async with TestNatsBroker(broker):  # sets the subscriber up and running, binds nothing
        await roll_up._create_subscription()
        try:
            yield Consumer(roll_up, handled)
        finally:
            await roll_up.stop()


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"condition not met within {timeout}s")


def events(logs: Sequence[Mapping[str, Any]], event: str) -> list[Mapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == event]


@contextlib.contextmanager
def supervisor_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FastStream's kill switch for restarting a task that raised: the loop stays dead."""
    with monkeypatch.context() as patch:
        patch.setenv("FASTSTREAM_SUPERVISOR_DISABLED", "1")
        yield


async def test_the_fetch_loop_outlives_failing_fetches_backs_off_and_settles_what_comes_next(
    monkeypatch: pytest.MonkeyPatch, backoffs: list[float]
) -> None:
    later = [Message(1), Message(2)]
    subscription = Subscription(
        nats.errors.ConnectionClosedError(), RuntimeError("fetch broke"), later
    )

    with capture_logs() as logs:
        async with running(monkeypatch, subscription) as consumer:
            await until(lambda: len(subscription.fetched_at) == 4)
            assert consumer.subscriber.alive

    assert consumer.handled == [later]
    assert [m.settled for m in later] == [["ack"], ["ack"]]
    # Each failure doubled the pause, slept before the next fetch; the settled round reset it.
    assert backoffs == [0.0, FIRST_BACKOFF]
    first, second, third, _ = subscription.fetched_at
    assert second - first >= FIRST_BACKOFF * 0.9
    assert third - second >= 2 * FIRST_BACKOFF * 0.9
    assert len(events(logs, "fetch failed; retrying")) == 2
    assert events(logs, ENDED) == []


async def test_an_ack_that_fails_leaves_the_batch_unacknowledged_and_the_loop_running(
    monkeypatch: pytest.MonkeyPatch, backoffs: list[float]
) -> None:
    unsettled = [Message(1, failing_ack=True), Message(2)]
    redelivered = [Message(1), Message(2)]
    subscription = Subscription(unsettled, redelivered)

    with capture_logs() as logs:
        async with running(monkeypatch, subscription) as consumer:
            await until(lambda: len(subscription.fetched_at) == 3)
            assert consumer.subscriber.alive

    assert consumer.handled == [unsettled, redelivered]
    # Nothing of the first batch was acknowledged: JetStream redelivers it after ack_wait.
    assert [m.settled for m in unsettled] == [[], []]
    assert [m.settled for m in redelivered] == [["ack"], ["ack"]]
    assert backoffs == [0.0]
    assert len(events(logs, "batch not settled")) == 1
    assert events(logs, ENDED) == []


async def test_a_fetch_loop_that_crashes_is_logged_and_faststream_restarts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = [Message(1)]
    subscription = Subscription(Crash("a bug"), later)

    with capture_logs() as logs:
        async with running(monkeypatch, subscription) as consumer:
            await until(lambda: len(subscription.fetched_at) == 3)
            assert consumer.subscriber.alive

    [ended] = events(logs, ENDED)
    assert ended["log_level"] == "error"
    assert ended["consumer"] == DURABLE
    assert ended["task"] == f"fetch {DURABLE}"
    assert ended["error"] == "Crash('a bug')"
    assert later[0].settled == ["ack"]


async def test_a_fetch_loop_that_stays_dead_is_logged_and_fails_the_liveness_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = FastAPI()
    with capture_logs() as logs, supervisor_disabled(monkeypatch):
        async with running(monkeypatch, Subscription(Crash("a bug"))) as consumer:
            await until(lambda: all(task.done() for task in consumer.subscriber.tasks))
            add_health_routes(app, cast(Runtime, SimpleNamespace(consumers=[consumer.subscriber])))
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://aggregator"
            ) as client:
                response = await client.get("/healthz")
            alive = consumer.subscriber.alive

    assert not alive
    assert response.status_code == 503
    assert response.json()["consumers"] == [DURABLE]
    [ended] = events(logs, ENDED)
    assert ended["task"] == f"fetch {DURABLE}"


async def test_a_lag_watcher_that_ends_is_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing_watch(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    with capture_logs() as logs:
        async with running(monkeypatch, Subscription(), watch_lag=failing_watch) as consumer:
            await until(lambda: bool(events(logs, ENDED)))
            assert consumer.subscriber.alive

    [ended] = events(logs, ENDED)
    assert ended["log_level"] == "error"
    assert ended["consumer"] == DURABLE
    assert ended["task"] == f"lag {DURABLE}"
    assert ended["error"] == "RuntimeError('a bug')"


async def test_stopping_a_consumer_ends_its_tasks_without_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription = Subscription()
    with capture_logs() as logs:
        async with running(monkeypatch, subscription) as consumer:
            await until(lambda: len(subscription.fetched_at) == 1)
            tasks = [*consumer.subscriber.tasks, consumer.subscriber._lag]

    assert all(task is not None and task.done() for task in tasks)
    assert not consumer.subscriber.alive
    assert events(logs, ENDED) == []
