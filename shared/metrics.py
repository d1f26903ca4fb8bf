"""Prometheus metrics every service exports: message transport, HTTP and publishing.

Each service adds its domain metrics in its own ``metrics`` module. Label values are kept to
bounded sets (consumer names, subject patterns, route templates, reason codes), never unit codes
or submission ids, so a series count does not grow with the number of communes.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

# Batches take from a millisecond (one report) to seconds (a deadline-day burst of 256).
_BATCH_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

messages_received: Final = Counter(
    "baocao_messages_received",
    "Messages fetched from JetStream, by consumer and its filter subject.",
    ["consumer", "subject"],
)
messages_processed: Final = Counter(
    "baocao_messages_processed",
    "Messages handled and acknowledged.",
    ["consumer", "subject"],
)
messages_failed: Final = Counter(
    "baocao_messages_failed",
    "Deliveries that failed: kind=outage (redelivered after a delay) or kind=message"
    " (tried alone, dead-lettered after repeated failures).",
    ["consumer", "subject", "kind"],
)
batch_duration: Final = Histogram(
    "baocao_batch_duration_seconds",
    "Time to handle one fetched batch, from fetch to acknowledgement.",
    ["consumer", "subject"],
    buckets=_BATCH_BUCKETS,
)
dead_letters: Final = Counter(
    "baocao_dead_letters",
    "Messages parked on reports.deadletter.<consumer>, by reason code.",
    ["consumer", "reason"],
)
auth_refusals: Final = Counter(
    "baocao_auth_refusals",
    "Requests refused before any route ran: 401 by reason (missing_token, token_expired,"
    " token_revoked, ...), and 413 body_too_large.",
    ["reason"],
)
consumer_pending: Final = Gauge(
    "baocao_consumer_pending_messages",
    "Messages in the stream not yet delivered to the consumer.",
    ["consumer"],
)
consumer_ack_pending: Final = Gauge(
    "baocao_consumer_ack_pending_messages",
    "Messages delivered to the consumer and not yet acknowledged.",
    ["consumer"],
)
consumer_oldest_age: Final = Gauge(
    "baocao_consumer_oldest_unprocessed_age_seconds",
    "Age of the oldest message the consumer has not acknowledged; 0 when caught up.",
    ["consumer"],
)
events_published: Final = Counter(
    "baocao_events_published",
    "Events published and acknowledged by JetStream, by subject root.",
    ["subject"],
)
http_requests: Final = Counter(
    "baocao_http_requests",
    "HTTP requests answered, by route template and status code.",
    ["method", "route", "status"],
)
http_duration: Final = Histogram(
    "baocao_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
)


def render() -> tuple[bytes, str]:
    """The exposition of every registered metric, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
