"""A page's live updates as Server-Sent Events: ``GET /live/{report_type}/{period}?unit=``.

The aggregator's feed, read with the person's token, re-emitted as ``event: rollup`` with the
changed unit's code as data and the feed's sequence as id (so the browser's reconnection
resumes where it stopped). The feed is opened in a dependency before the stream starts, so a
refusal is a 403 page, and closed by the dependency when the browser goes, so no upstream
connection outlives its page. FastAPI writes a ``: ping`` comment after 15 s of silence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.exceptions import HTTPException

from services.web.entrypoints.pages import signed_in, web
from services.web.entrypoints.session import Session
from services.web.usecases.live import LiveFeed
from services.web.usecases.national import parse_period

router = APIRouter()

RETRY_MILLISECONDS = 3000


async def _feed(
    request: Request,
    report_type: str,
    period: str,
    session: Annotated[Session, Depends(signed_in)],
    unit: Annotated[str, Query(max_length=8, pattern=r"^(VN|[0-9]{2,5})$")] = "VN",
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> AsyncIterator[LiveFeed]:
    context = web(request)
    info = await context.catalog.report_type(report_type, session.token)
    if info is None or parse_period(period, info) is None:
        raise HTTPException(404)
    feed = await LiveFeed.open(
        context.api,
        session.token,
        report_type=report_type,
        period=period,
        periodicity=info.periodicity,
        unit=unit,
        last_event_id=last_event_id,
        throttle_seconds=context.settings.live_throttle_seconds,
    )
    try:
        yield feed
    finally:
        with anyio.CancelScope(shield=True):
            await feed.close()


@router.get("/live/{report_type}/{period}", response_class=EventSourceResponse)
async def live(
    feed: Annotated[LiveFeed, Depends(_feed)],
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="baocao live", retry=RETRY_MILLISECONDS)
    async for change in feed.changes():
        yield ServerSentEvent(event="rollup", raw_data=change.unit, id=change.event_id)
