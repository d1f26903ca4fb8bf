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
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, StatusCode
from structlog.contextvars import bound_contextvars

from shared import cloudevents, metrics, subjects, telemetry
from shared.logging import get_logger
from shared.subjects import REPORTS_STREAM

log = get_logger(__name__)

MAX_DELIVER = -1  # never give up: outages are waited out, poison is dead-lettered
POISON_AFTER = 3
ACK_WAIT_SECONDS = 10.0
RETRY_DELAY_SECONDS = 2.0
FETCH_WAIT_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 5.0
WATCH_SECONDS = 5.0  # how often lag and the oldest message's age are read for /metrics

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


class ConsumerNotProvisioned(Exception):
    """The durable consumer a service binds to does not exist: ops has not provisioned NATS."""


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
    ``batch_size``: a lone report is handled at once, a deadline-day burst in large batches.

    Each message is processed under a span of its own that continues its producer's trace
    (:func:`span_of` gives it to the handler); the batch's counts, duration and failures, and
    the consumer's lag, are exported as metrics.
    """

    def __init__(
        self,
        *,
        subject: str,
        durable: str,
        handler: BatchHandler,
        batch_size: int,
        stream: str = REPORTS_STREAM,
        deliver_policy: DeliverPolicy = DeliverPolicy.ALL,
    ) -> None:
        self.subject = subject
        self.deliver_policy = deliver_policy
        self.durable = durable
        self.handler = handler
        self.batch_size = batch_size
        self.stream = stream
        self.topic = subject.removesuffix(".>")
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._js: JetStreamContext | None = None
        self._received = metrics.messages_received.labels(durable, subject)
        self._processed = metrics.messages_processed.labels(durable, subject)
        self._outages = metrics.messages_failed.labels(durable, subject, "outage")
        self._faults = metrics.messages_failed.labels(durable, subject, "message")
        self._duration = metrics.batch_duration.labels(durable, subject)

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=self.deliver_policy,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=MAX_DELIVER,
            max_ack_pending=self.batch_size * 8,
            filter_subject=self.subject,
        )

    async def start(self, js: JetStreamContext) -> None:
        # Bind only: durable consumers are provisioned by ops (`baocao nats provision`), and a
        # service's NATS user may not create one.
        try:
            await js.consumer_info(self.stream, self.durable)
        except nats.js.errors.NotFoundError as error:
            raise ConsumerNotProvisioned(
                f"no consumer {self.durable} on {self.stream}: run `baocao nats provision`"
            ) from error
        subscription = await js.pull_subscribe_bind(self.durable, self.stream)
        self._subscription = subscription
        self._js = js
        self._tasks = [
            asyncio.create_task(self._run(subscription), name=f"consume {self.durable}"),
            asyncio.create_task(self._watch(js), name=f"watch {self.durable}"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._exited)

    @property
    def running(self) -> bool:
        """Whether the fetch loop is alive; it never ends on its own, so False is a bug."""
        return bool(self._tasks) and not self._tasks[0].done()

    def _exited(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and not self._stopping:
            log.error(
                "consumer task ended unexpectedly",
                consumer=self.durable,
                task=task.get_name(),
                error=repr(task.exception()),
            )

    async def _run(self, subscription: JetStreamContext.PullSubscription) -> None:
        backoff = 0.0
        while not self._stopping:
            if backoff:
                await asyncio.sleep(backoff)
            try:
                messages = await subscription.fetch(self.batch_size, timeout=FETCH_WAIT_SECONDS)
            except (TimeoutError, NatsTimeoutError):
                continue
            except Exception as error:  # never let the loop die: log, back off, fetch again
                # Once stopping, nats-py turns our cancellation into ConnectionClosedError: a
                # retry here would spin forever and hold the event loop's shutdown.
                if self._stopping:
                    return
                log.warning("fetch failed; retrying", consumer=self.durable, error=repr(error))
                backoff = _next_backoff(backoff)
                continue
            started = time.perf_counter()
            spans: dict[int, Span] = {}
            token = _batch_spans.set(spans)
            try:
                self._received.inc(len(messages))
                spans.update((id(m), self._span(m)) for m in messages)
                healthy = await self._consume(messages)
            except Exception as error:  # an ack lost with the connection: redelivered later
                log.warning("batch not settled", consumer=self.durable, error=repr(error))
                healthy = False
            finally:
                _batch_spans.reset(token)
                for span in spans.values():
                    span.end()
                self._duration.observe(time.perf_counter() - started)
            backoff = 0.0 if healthy else _next_backoff(backoff)

    def _span(self, message: Msg) -> Span:
        span = telemetry.process_span(self.topic, message.subject, self.durable, message.headers)
        if span.is_recording():  # the attributes cost more than the span when nobody records
            metadata = message.metadata
            span.set_attributes(
                {
                    telemetry.SUBMISSION_ID: submission_id_of(message),
                    telemetry.UNIT: unit_of(message),
                    "messaging.message.id": message_id(message) or "",
                    "messaging.nats.stream_sequence": metadata.sequence.stream,
                    "messaging.nats.delivery_count": metadata.num_delivered,
                }
            )
        return span

    async def _consume(self, messages: Sequence[Msg]) -> bool:
        """Handle one batch; False when the infrastructure failed and the consumer should back off."""
        try:
            dead = await self.handler(messages)
            await self._park(dead)
        except Exception as error:
            if is_transient(error):
                _record_failure(messages, error)
                log.warning(
                    "batch failed on the infrastructure; it will be redelivered",
                    consumer=self.durable,
                    size=len(messages),
                    error=repr(error),
                )
                self._outages.inc(len(messages))
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
            self._processed.inc(len(messages))
            return True
        healthy = True
        for message in messages:
            with handling(message):
                healthy = await self._consume_alone(message) and healthy
        return healthy

    async def _consume_alone(self, message: Msg) -> bool:
        try:
            dead = await self.handler([message])
            await self._park(dead)
        except Exception as error:
            _record_failure([message], error)
            deliveries = message.metadata.num_delivered
            poison = not is_transient(error) and deliveries >= POISON_AFTER
            (self._outages if is_transient(error) else self._faults).inc()
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
        self._processed.inc()
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

    async def _watch(self, js: JetStreamContext) -> None:
        """Export the consumer's lag: pending, unacknowledged, and the oldest message's age."""
        pending = metrics.consumer_pending.labels(self.durable)
        ack_pending = metrics.consumer_ack_pending.labels(self.durable)
        oldest = metrics.consumer_oldest_age.labels(self.durable)
        oldest_stored: datetime | None = None
        while not self._stopping:
            try:
                info = await js.consumer_info(self.stream, self.durable)
                pending.set(info.num_pending or 0)
                ack_pending.set(info.num_ack_pending or 0)
                oldest_stored = None
                if (info.num_pending or 0) + (info.num_ack_pending or 0) > 0:
                    # Acknowledged up to the floor: the next message on our subject is the
                    # oldest one not yet processed.
                    floor = info.ack_floor.stream_seq if info.ack_floor else 0
                    first = await js.get_msg(
                        self.stream, seq=(floor or 0) + 1, subject=self.subject, next=True
                    )
                    if first.time is not None:
                        t = first.time
                        oldest_stored = t if t.tzinfo else t.replace(tzinfo=UTC)
            except Exception as error:
                # NATS unreachable: the oldest message known keeps ageing, so an outage that
                # holds reports back still raises the lag alert.
                log.debug("reading consumer lag failed", consumer=self.durable, error=repr(error))
            age = (datetime.now(UTC) - oldest_stored).total_seconds() if oldest_stored else 0.0
            oldest.set(max(0.0, age))
            await asyncio.sleep(WATCH_SECONDS)

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a batch stuck in I/O must not hold shutdown; its messages come back anyway.
            await asyncio.wait(set(self._tasks), timeout=5)
        if self._subscription is not None:
            # Unacknowledged messages go back to the server after ack_wait; nothing is lost.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._subscription.unsubscribe(), 5)


_batch_spans: ContextVar[dict[int, Span]] = ContextVar("batch_spans", default={})  # noqa: B039 -- never mutated


def span_of(message: Msg) -> Span:
    """The span ``message`` is being processed under (a no-op span outside a batch)."""
    return _batch_spans.get().get(id(message), INVALID_SPAN)


@contextlib.contextmanager
def handling(message: Msg) -> Iterator[None]:
    """Log lines written inside carry ``message``'s trace and span ids, submission id and unit."""
    with (
        trace.use_span(span_of(message), end_on_exit=False),
        bound_contextvars(submission_id=submission_id_of(message), unit=unit_of(message)),
    ):
        yield


def submission_id_of(message: Msg) -> str:
    """The submission a message is about: the CloudEvents subject Baocao's services set, else
    the Nats-Msg-Id a local system sets on the submissions it publishes."""
    headers = message.headers or {}
    return headers.get("ce-subject") or headers.get("Nats-Msg-Id") or ""


def unit_of(message: Msg) -> str:
    """The unit code, the last token of every report and notice subject."""
    return message.subject.rsplit(".", 1)[-1]


def _record_failure(messages: Sequence[Msg], error: BaseException) -> None:
    for message in messages:
        span = span_of(message)
        span.record_exception(error)
        span.set_status(StatusCode.ERROR, type(error).__name__)


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
