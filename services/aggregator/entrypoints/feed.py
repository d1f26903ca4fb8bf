"""The live feed over Server-Sent Events: GET /v1/feed.

Each client gets an ephemeral ordered consumer on the ROLLUPS stream, filtered to what it asked
for, opened before the response starts (so a bad filter or an unreachable NATS is a 4xx/503,
not a broken stream) and deleted when the client goes. ``id:`` is the stream sequence, so a
browser's EventSource resumes where it stopped by sending it back as ``Last-Event-ID``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from nats.js import JetStreamContext

from services.aggregator import metrics
from services.aggregator.adapters.feed_subscription import FeedSubscription
from services.aggregator.entrypoints.scope import authorise_read
from services.aggregator.usecases.feed_filter import feed_filter
from services.aggregator.usecases.read_rollups import RollupReader
from shared.logging import get_logger
from shared.refusals import Invalid, Unavailable

RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after losing the stream

log = get_logger(__name__)


@dataclass(frozen=True)
class FeedSettings:
    heartbeat_seconds: float
    max_clients: int


class _Clients:
    """Connected clients, counted here (the gauge is for operators) to refuse past the limit."""

    def __init__(self) -> None:
        self.count = 0


def routes(
    reader_of: Callable[[], RollupReader],
    js_of: Callable[[], JetStreamContext],
    settings: FeedSettings,
) -> APIRouter:
    router = APIRouter()
    clients = _Clients()

    async def subscription(
        request: Request,
        report_type: Annotated[
            str | None, Query(description="A report type code; absent: every type.")
        ] = None,
        period: Annotated[
            str | None, Query(description="A period label (2026-Q4, 2026-03); absent: all.")
        ] = None,
        unit: Annotated[
            str | None,
            Query(description="A province code, or VN for the national rollup; absent: all."),
        ] = None,
        last_event_id: Annotated[
            str | None,
            Header(description="The id of the last event received: resume after it."),
        ] = None,
        after: Annotated[
            str | None,
            Query(
                alias="last_event_id",
                description="The same as the Last-Event-ID header, for clients that cannot"
                " set headers; the header wins.",
            ),
        ] = None,
    ) -> AsyncIterator[FeedSubscription]:
        reader = reader_of()
        asked = feed_filter(reader.catalog, reader.registry, report_type, period, unit)
        authorise_read(request, reader.registry, unit)
        resume = _sequence(last_event_id if last_event_id is not None else after)
        if clients.count >= settings.max_clients:
            metrics.feed_refusals.inc()
            raise Unavailable(
                "too_many_clients",
                f"the live feed already serves {settings.max_clients} clients; retry later",
                retry_after=5,
            )
        clients.count += 1  # the slot is taken before the await, so opens at once cannot pass
        try:
            try:
                opened = await FeedSubscription.open(js_of(), asked.subject, resume)
            except Exception as error:
                log.warning("opening a feed consumer failed", error=repr(error))
                raise Unavailable(
                    "service_unavailable", "the live feed cannot reach NATS now", retry_after=1
                ) from error
            metrics.feed_clients.inc()
            try:
                yield opened
            finally:
                metrics.feed_clients.dec()
                # Even while the request is being cancelled (the server shutting down).
                with anyio.CancelScope(shield=True):
                    await opened.close()
        finally:
            clients.count -= 1

    @router.get(
        "/v1/feed",
        response_class=EventSourceResponse,
        summary="Live rollup updates as Server-Sent Events (event: rollup, id: stream sequence)",
    )
    # A default rather than Annotated: the dependency is local to this function, where the
    # postponed annotation could not be resolved.
    async def feed(
        opened: FeedSubscription = Depends(subscription),  # noqa: B008
    ) -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(comment="baocao live feed", retry=RETRY_MILLISECONDS)
        while True:
            event = await opened.next(settings.heartbeat_seconds)
            if event is None:
                # A comment line keeps proxies and load balancers from closing an idle stream.
                yield ServerSentEvent(comment="heartbeat")
                continue
            metrics.feed_events_sent.inc()
            yield ServerSentEvent(
                event="rollup", id=str(event.sequence), raw_data=event.data.decode()
            )

    return router


def _sequence(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        raise Invalid(
            "invalid_last_event_id", f"Last-Event-ID must be a stream sequence, not {value!r}"
        )
    return int(value)
