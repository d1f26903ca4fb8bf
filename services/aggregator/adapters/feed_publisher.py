"""The live feed: each touched rollup's new state on ``rollups.updated.<type>.<period>.<unit>``.

Called after a batch commits, with the (report type, period, province) rollups it touched.
Replicas (and a process's consumer loops) commit and publish concurrently, and one that read
the rollups before another's commit must not publish its older figures last. So each update
carries the version it was read at (``Baocao-Rollup-Version``: the province row's number, new
on every write, or for the nation the sum of the 34), and each subject is published
optimistically: read the last message on the subject; if it already says the same
(``Baocao-Content-Hash``, a redelivered batch), or is as new or newer (version), there is
nothing to do; else publish with ``Nats-Expected-Last-Subject-Sequence`` set to it, and on a
conflict read again. The last message on every subject is therefore the newest read, and the
same state is never published twice in a row.
``Nats-Msg-Id`` (= ``ce-id``) names the content and the message it follows, so a
publish retried after a lost PubAck is dropped by the stream's duplicate window, while the
same figures coming back later (a correction undone) are published again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from nats.js import JetStreamContext
from nats.js.api import Header
from nats.js.errors import APIError, NotFoundError

from services.aggregator import metrics
from shared import cloudevents, subjects, telemetry
from shared.clock import Clock
from shared.metrics import events_published

if TYPE_CHECKING:
    # Types only: the bodies module shapes the summaries this publisher is given.
    from services.aggregator.entrypoints.bodies import RollupSummary, RollupUpdate

ROLLUP_UPDATED: Final = f"{cloudevents.TYPE_PREFIX}.rollup.updated.v1"
CONTENT_HASH: Final = "Baocao-Content-Hash"
VERSION: Final = "Baocao-Rollup-Version"
NATION: Final = "VN"
WRONG_LAST_SEQUENCE: Final = 10071  # JetStream's error code for a failed expected sequence
MAX_ATTEMPTS: Final = 5
PUBACK_TIMEOUT_SECONDS: Final = 10.0

RollupKey = tuple[str, str, str]  # report type, period, province


@dataclass(frozen=True)
class Versioned:
    """A rollup summary and the version of the rows it was read from: higher is newer."""

    body: RollupSummary
    version: int


Summaries = Callable[[str, str, Collection[str]], Awaitable[Mapping[str, Versioned]]]


# The trace each touched rollup's update continues: set by the consumer around a batch (the
# last report of the batch for that rollup), read here when the update is published.
_trace_parents: ContextVar[Mapping[RollupKey, Mapping[str, str]] | None] = ContextVar(
    "feed_trace_parents", default=None
)


@contextlib.contextmanager
def traced_by(parents: Mapping[RollupKey, Mapping[str, str]]) -> Iterator[None]:
    """Within the block, a rollup update joins the trace of the report that caused it."""
    token = _trace_parents.set(parents)
    try:
        yield
    finally:
        _trace_parents.reset(token)


class FeedContention(TimeoutError):
    """Other publishers kept changing a subject's last message; an outage-like failure, so the
    batch is redelivered (and the store, being idempotent, changes nothing) rather than the
    reports being taken for poison."""


class FeedPublisher:
    def __init__(
        self,
        js: Callable[[], JetStreamContext],
        summaries: Summaries,
        clock: Clock,
    ) -> None:
        self._js = js
        self._summaries = summaries
        self._clock = clock

    async def publish(self, keys: Collection[RollupKey]) -> None:
        """Publish the touched provinces' rollups and the nation's, for each (type, period)."""
        touched: dict[tuple[str, str], list[str]] = defaultdict(list)
        for report_type, period, province in keys:
            touched[report_type, period].append(province)
        parents = _trace_parents.get() or {}
        for (report_type, period), provinces in touched.items():
            await self._publish_period(report_type, period, provinces, parents)

    async def _publish_period(
        self,
        report_type: str,
        period: str,
        provinces: list[str],
        parents: Mapping[RollupKey, Mapping[str, str]],
    ) -> None:
        bodies = await self._summaries(report_type, period, provinces)
        # The nation's update continues the trace of one of the provinces it sums.
        national_parent = next(
            (parents[k] for p in provinces if (k := (report_type, period, p)) in parents),
            None,
        )
        try:
            await asyncio.gather(
                *(
                    self._publish_one(
                        report_type,
                        period,
                        unit,
                        read,
                        parents.get((report_type, period, unit), national_parent),
                    )
                    for unit, read in bodies.items()
                )
            )
        except Exception:
            metrics.feed_failures.labels(report_type).inc()
            raise

    async def _publish_one(
        self,
        report_type: str,
        period: str,
        unit: str,
        read: Versioned,
        parent: Mapping[str, str] | None,
    ) -> None:
        subject = subjects.rollups_updated(report_type, period, unit)
        body = read.body
        digest = content_hash(body)
        js = self._js()
        for _ in range(MAX_ATTEMPTS):
            last_sequence, last_digest, last_version = await _last(js, subject)
            if last_digest == digest:
                metrics.feed_updates.labels(report_type, "unchanged").inc()
                return
            if last_version >= read.version:
                # Another replica read (and published) after a later commit than this read.
                metrics.feed_updates.labels(report_type, "superseded").inc()
                return
            now = self._clock.now()
            headers = cloudevents.headers(
                event_id=f"rollup:{report_type}:{period}:{unit}:{last_sequence}:{digest[:16]}",
                event_type=ROLLUP_UPDATED,
                service="aggregator",
                subject=f"{report_type}/{period}/{unit}",
                time=now,
            )
            headers[CONTENT_HASH] = digest
            headers[VERSION] = str(read.version)
            headers[Header.EXPECTED_LAST_SUBJECT_SEQUENCE.value] = str(last_sequence)
            update: RollupUpdate = {**body, "updated_at": _timestamp(now)}
            payload = _encode(update)
            span = telemetry.send_span(
                subjects.ROLLUPS_UPDATED,
                subject,
                parent=parent,
                attributes={
                    telemetry.REPORT_TYPE: report_type,
                    telemetry.PERIOD: period,
                    telemetry.UNIT: unit,
                    "messaging.message.id": headers["ce-id"],
                },
            )
            try:
                telemetry.inject(headers, span)
                await js.publish(
                    subject,
                    payload,
                    stream=subjects.ROLLUPS_STREAM,
                    headers=headers,
                    timeout=PUBACK_TIMEOUT_SECONDS,
                )
            except APIError as error:
                if error.err_code != WRONG_LAST_SEQUENCE:
                    raise
                # Another replica published this subject since we looked: look again.
                continue
            finally:
                span.end()
            metrics.feed_updates.labels(report_type, "published").inc()
            events_published.labels(subjects.ROLLUPS_UPDATED).inc()
            return
        raise FeedContention(f"{subject} changed under us {MAX_ATTEMPTS} times")


async def _last(js: JetStreamContext, subject: str) -> tuple[int, str | None, int]:
    """The sequence, content hash and version of the last message on ``subject`` (0, None, -1
    if none: any read is newer than nothing)."""
    try:
        message = await js.get_last_msg(subjects.ROLLUPS_STREAM, subject)
    except NotFoundError:
        return 0, None, -1
    headers = message.headers or {}
    version = headers.get(VERSION, "")
    return (
        message.seq or 0,
        headers.get(CONTENT_HASH),
        int(version) if version.isdigit() else -1,  # published before versions: older
    )


def content_hash(body: Mapping[str, Any]) -> str:
    """What the update says, independent of when it was published."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(
        body, ensure_ascii=False, separators=(",", ":"), default=_json_default
    ).encode()


def _json_default(value: object) -> object:
    # The read API's bodies hold JSON numbers already; a Decimal or a time added to them later
    # must not make a batch fail as if its reports were poison.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return _timestamp(value)
    raise TypeError(f"not JSON: {value!r}")


def _timestamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
