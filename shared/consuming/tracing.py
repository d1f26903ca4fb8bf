"""What a consumed message says about itself, and the span it is processed under.

Each message of a batch is processed under a span of its own that continues its producer's
trace (W3C ``traceparent`` in the NATS headers); handlers reach it with :func:`span_of` and
write log lines under it with :func:`handling`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime

from nats.aio.msg import Msg
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, StatusCode
from structlog.contextvars import bound_contextvars

from shared import telemetry

_batch_spans: ContextVar[dict[int, Span]] = ContextVar("batch_spans", default={})  # noqa: B039 -- never mutated


@contextlib.contextmanager
def message_spans(messages: Sequence[Msg], topic: str, durable: str) -> Iterator[None]:
    """Open one consumer span per message for the duration of the batch, then end them all."""
    spans = {id(m): _span(m, topic, durable) for m in messages}
    token = _batch_spans.set(spans)
    try:
        yield
    finally:
        _batch_spans.reset(token)
        for span in spans.values():
            span.end()


def _span(message: Msg, topic: str, durable: str) -> Span:
    span = telemetry.process_span(topic, message.subject, durable, message.headers)
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


def record_failure(messages: Sequence[Msg], error: BaseException) -> None:
    for message in messages:
        span = span_of(message)
        span.record_exception(error)
        span.set_status(StatusCode.ERROR, type(error).__name__)


def submission_id_of(message: Msg) -> str:
    """The submission a message is about: the CloudEvents subject Baocao's services set, else
    the Nats-Msg-Id a local system sets on the submissions it publishes."""
    headers = message.headers or {}
    return headers.get("ce-subject") or headers.get("Nats-Msg-Id") or ""


def unit_of(message: Msg) -> str:
    """The unit code, the last token of every report and notice subject."""
    return message.subject.rsplit(".", 1)[-1]


def stored_at(message: Msg) -> datetime:
    """When JetStream stored ``message``: the official time of receipt."""
    timestamp = message.metadata.timestamp
    return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)


def message_id(message: Msg) -> str | None:
    return (message.headers or {}).get("Nats-Msg-Id")
