"""A consumer's lag for /metrics: pending, unacknowledged, and the oldest message's age.

FastStream's Prometheus middleware counts what a subscriber handles; it cannot see what waits
on the server, which is what the lag alerts (deploy/) and KEDA's scaler watch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from nats.js import JetStreamContext
from prometheus_client import Gauge

from shared import metrics
from shared.consuming.policy import WATCH_SECONDS
from shared.logging import get_logger

log = get_logger(__name__)


async def watch_lag(
    js: Callable[[], JetStreamContext], *, stream: str, durable: str, subject: str
) -> None:
    """Export the consumer's lag every ``WATCH_SECONDS`` until cancelled."""
    pending = metrics.consumer_pending.labels(durable)
    ack_pending = metrics.consumer_ack_pending.labels(durable)
    oldest = metrics.consumer_oldest_age.labels(durable)
    oldest_stored: datetime | None = None
    while True:
        try:
            oldest_stored = await _oldest_unprocessed(
                js(), stream, durable, subject, pending, ack_pending
            )
        except Exception as error:
            # NATS unreachable: the oldest message known keeps ageing, so an outage that
            # holds reports back still raises the lag alert.
            log.debug("reading consumer lag failed", consumer=durable, error=repr(error))
        age = (datetime.now(UTC) - oldest_stored).total_seconds() if oldest_stored else 0.0
        oldest.set(max(0.0, age))
        await asyncio.sleep(WATCH_SECONDS)


async def _oldest_unprocessed(
    js: JetStreamContext,
    stream: str,
    durable: str,
    subject: str,
    pending: Gauge,
    ack_pending: Gauge,
) -> datetime | None:
    info = await js.consumer_info(stream, durable)
    pending.set(info.num_pending or 0)
    ack_pending.set(info.num_ack_pending or 0)
    if (info.num_pending or 0) + (info.num_ack_pending or 0) == 0:
        return None
    # Acknowledged up to the floor: the next message on our subject is the oldest one not yet
    # processed.
    floor = info.ack_floor.stream_seq if info.ack_floor else 0
    first = await js.get_msg(stream, seq=(floor or 0) + 1, subject=subject, next=True)
    if first.time is None:
        return None
    return first.time if first.time.tzinfo else first.time.replace(tzinfo=UTC)
