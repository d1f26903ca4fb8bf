"""Every Baocao consumer as a FastStream subscriber: a batch pull from a durable ops provisions.

``batch_subscriber(broker, ...)`` declares the subscriber with FastStream's own options
(``stream``, ``durable``, ``PullSub(batch=True)``, ``AckPolicy.MANUAL``) and returns it as a
:class:`BatchSubscriber`, which changes three things FastStream 0.7.8 does differently
(docs/adr/0020-consumers-on-faststream.md; the strict-xfail tests in
tests/integration/test_subscribers_on_nats.py show each):

- **Bind, never create.** FastStream's ``pull_subscribe`` creates a durable it does not find;
  a service's NATS user may not, and a missing durable must say "run `baocao nats provision`".
- **Take what is waiting.** FastStream's batch loop keeps fetching until the batch is full or
  its timeout passes, so a lone report waits the whole timeout; this loop hands over whatever
  one fetch returned, at once.
- **Settle by Baocao's policy.** Every batch goes through FastStream's own pipeline
  (middlewares, decoder, the handler) and is then settled by :mod:`shared.consuming.settling`:
  acknowledged after the effects are committed, retried one by one, or parked. The loop never
  dies on an error; it backs off. If it or the lag watcher ends all the same while the consumer
  runs, that is logged at ERROR; a loop left dead (not restarted by FastStream) fails /healthz.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, cast, get_args, get_type_hints

import nats.js.errors
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.subscriber.specification import NatsSubscriberSpecification
from faststream.nats.subscriber.usecases import BatchPullStreamSubscriber
from faststream.specification.asyncapi.message import get_model_schema
from faststream.specification.asyncapi.utils import to_camelcase
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, create_model

from shared import metrics
from shared.consuming.batch import as_batch
from shared.consuming.faststream_metrics import observe
from shared.consuming.lag import watch_lag
from shared.consuming.policy import (
    FETCH_WAIT_SECONDS,
    ConsumerNotProvisioned,
    DeadLetter,
    consumer_config,
    next_backoff,
)
from shared.consuming.settling import Settlement
from shared.consuming.tracing import message_spans
from shared.logging import get_logger
from shared.subjects import REPORTS_STREAM

if TYPE_CHECKING:
    from faststream.nats.subscriber.usecases.basic import LogicSubscriber

log = get_logger(__name__)

# What every report, verdict and notice subject ends with; FastStream hands both to a handler
# that asks for them (``Path()``) and the AsyncAPI document names them.
REPORT_PATH = "{province}.{unit}"


class BatchSubscriber(BatchPullStreamSubscriber):
    """FastStream's batch pull subscriber, bound to a provisioned durable and settled by policy."""

    durable: str
    topic: str
    filter_subject: str
    _settlement: Settlement
    _lag: asyncio.Task[None] | None

    def _adopt(self, *, topic: str, durable: str) -> None:
        self.topic = topic
        self.durable = durable
        self.filter_subject = f"{topic}.>"
        self._lag = None
        self._settlement = Settlement(
            durable=durable,
            subject=self.filter_subject,
            handle=self._handle,
            js=lambda: self.jetstream,
        )

    @property
    def alive(self) -> bool:
        """Whether the fetch loop runs; it never ends on its own, so False after start is a bug."""
        return any(not task.done() for task in self.tasks)

    async def _create_subscription(self) -> None:
        if self.subscription:
            return
        js = self.jetstream
        try:
            await js.consumer_info(self.stream.name, self.durable)
        except nats.js.errors.NotFoundError as error:
            raise ConsumerNotProvisioned(
                f"no consumer {self.durable} on {self.stream.name}: run `baocao nats provision`"
            ) from error
        # No inbox_prefix: nats-py then uses the connection's, the one the service's NATS user
        # may subscribe to (FastStream's default, _INBOX., is not).
        self.subscription = await js.pull_subscribe_bind(
            durable=self.durable,
            stream=self.stream.name,
            pending_msgs_limit=self.extra_options["pending_msgs_limit"],
            pending_bytes_limit=self.extra_options["pending_bytes_limit"],
        )
        self.add_task(self._consume_pull)
        self._lag = asyncio.create_task(
            watch_lag(
                lambda: self.jetstream,
                stream=self.stream.name,
                durable=self.durable,
                subject=self.filter_subject,
            ),
            name=f"lag {self.durable}",
        )
        self._lag.add_done_callback(self._ended)

    def add_task(
        self,
        func: Callable[..., Coroutine[Any, Any, Any]],
        func_args: tuple[Any, ...] | None = None,
        func_kwargs: dict[str, Any] | None = None,
        *,
        restart_on_failure: bool = True,
    ) -> None:
        # FastStream's supervisor restarts a loop that raised through this method too: every
        # fetch loop, the first or a restarted one, is named and watched.
        super().add_task(func, func_args, func_kwargs, restart_on_failure=restart_on_failure)
        self.tasks[-1].set_name(f"fetch {self.durable}")
        self.tasks[-1].add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[Any]) -> None:
        """Log a task that ended while the consumer runs: neither the loop nor the watcher should."""
        if task.cancelled() or not self.running:  # stopping: stop() cancels both
            return
        log.error(
            "consumer task ended unexpectedly",
            consumer=self.durable,
            task=task.get_name(),
            error=repr(task.exception()),
        )

    async def _consume_pull(self) -> None:
        """Fetch whatever is waiting, up to a batch, and settle it; back off after a failure."""
        assert self.subscription is not None, "bind first"
        backoff = 0.0
        while self.running:
            if backoff:
                await asyncio.sleep(backoff)
            try:
                messages = await self.subscription.fetch(
                    self.pull_sub.batch_size, timeout=FETCH_WAIT_SECONDS
                )
            except (TimeoutError, NatsTimeoutError):
                continue
            except Exception as error:  # never let the loop die: log, back off, fetch again
                # Once stopping, nats-py turns our cancellation into ConnectionClosedError: a
                # retry here would spin forever and hold the event loop's shutdown.
                if not self.running:
                    return
                log.warning("fetch failed; retrying", consumer=self.durable, error=repr(error))
                backoff = next_backoff(backoff)
                continue
            healthy = await self._round(messages)
            backoff = 0.0 if healthy else next_backoff(backoff)

    async def _round(self, messages: list[Msg]) -> bool:
        started = time.perf_counter()
        metrics.messages_received.labels(self.durable, self.filter_subject).inc(len(messages))
        try:
            with message_spans(messages, self.topic, self.durable):
                return await self._settlement.settle(messages)
        except Exception as error:  # an ack lost with the connection: redelivered later
            log.warning("batch not settled", consumer=self.durable, error=repr(error))
            return False
        finally:
            metrics.batch_duration.labels(self.durable, self.filter_subject).observe(
                time.perf_counter() - started
            )

    async def _handle(self, messages: Sequence[Msg]) -> Sequence[DeadLetter]:
        """The batch through FastStream: middlewares, decoder, the handler; its dead letters."""
        response = await self.process_message(list(messages))
        return cast("Sequence[DeadLetter]", response.body or ())

    async def stop(self) -> None:
        if self._lag is not None:
            self._lag.cancel()
            self._lag = None
        loops = list(self.tasks)
        # Unacknowledged messages go back to the server after ack_wait; nothing is lost.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(super().stop(), 5)
        if loops:
            # FastStream cancels its tasks without waiting: a batch cut short must have let go
            # of its database connection before the service closes the pool. Bounded, so a
            # batch stuck in I/O cannot hold shutdown.
            await asyncio.wait(loops, timeout=5)


Handler = Callable[..., Awaitable[Sequence[DeadLetter]]]


def batch_subscriber(
    broker: NatsBroker,
    *,
    topic: str,
    durable: str,
    batch_size: int,
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL,
    stream: str = REPORTS_STREAM,
) -> Callable[[Handler], BatchSubscriber]:
    """Declare the consumer ``durable`` of ``topic``.> on ``broker`` with the handler decorated.

    The handler takes a :class:`shared.consuming.batch.Batch` of the event its subject
    carries and returns the messages to park on the dead-letter subject; its docstring is the
    channel's description in the AsyncAPI document. The durable is ``consumer_config``'s, as
    ops provisions it; the subscriber binds to it, never creates it.
    """
    observe(broker)

    def register(handler: Handler) -> BatchSubscriber:
        declared = broker.subscriber(
            f"{topic}.{REPORT_PATH}",
            stream=JStream(stream, declare=False),
            durable=durable,
            config=consumer_config(durable, f"{topic}.>", batch_size, deliver_policy),
            pull_sub=PullSub(batch_size, timeout=FETCH_WAIT_SECONDS, batch=True),
            # Acknowledged by shared.consuming.settling only: FastStream's default
            # (REJECT_ON_ERROR) would terminate a message on a database outage, and lose it.
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
            decoder=as_batch,
            title=f"{durable}: {topic}",
            description=" ".join((handler.__doc__ or "").split()) or None,
        )
        event_of(handler)  # a handler without Batch[<event>] fails here, not in the docs
        subscriber = _bound(declared)
        subscriber._adopt(topic=topic, durable=durable)
        subscriber(handler)
        return subscriber

    return register


def _bound(declared: LogicSubscriber[Any]) -> BatchSubscriber:
    # FastStream builds its subscriber classes in a factory with no hook for a subclass; the
    # declared subscriber and its specification are given our subclasses, which add methods
    # and no state. The exact-type checks make a FastStream upgrade that changes the factory
    # fail here, at declaration (tests/unit/test_subscribers_contract.py declares them all).
    specification = declared.specification
    if type(declared) is not BatchPullStreamSubscriber:
        raise TypeError(f"FastStream declared a {type(declared).__name__}, not a batch pull")
    if type(specification) is not NatsSubscriberSpecification:
        raise TypeError(f"FastStream declared a {type(specification).__name__} specification")
    declared.__class__ = BatchSubscriber
    specification.__class__ = BatchSpecification
    return cast("BatchSubscriber", declared)


class BatchSpecification(NatsSubscriberSpecification):
    """A batch handler's AsyncAPI payload: the one event each message carries.

    FastStream (0.7.8) documents a parameter that is not itself a pydantic model by taking the
    first of its schema's definitions, which for ``Batch[Verdict]`` is ``Reason``, not
    ``Verdict``; the payload is documented here as for a handler taking one event.
    """

    __slots__ = ()

    def get_payloads(self) -> list[tuple[dict[str, Any], str]]:
        payloads = []
        for call in self.calls:
            one = create_model("Payload", body=(event_of(call.handler._original_call), ...))
            prefix = f"{self.config.title_ or self.call_name}:Message"
            payloads.append((get_model_schema(one, prefix=prefix), to_camelcase(call.name)))
        return payloads


def event_of(handler: Handler) -> type[BaseModel]:
    """The event a batch handler's first parameter, ``Batch[Event]``, says each message carries."""
    hints = get_type_hints(handler)
    first = next(iter(inspect.signature(handler).parameters))
    (event,) = get_args(hints[first])
    if not (isinstance(event, type) and issubclass(event, BaseModel)):
        raise TypeError(f"{handler.__name__}: a batch handler takes Batch[<a pydantic model>]")
    return event
