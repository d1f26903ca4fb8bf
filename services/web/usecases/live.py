"""A page's live updates: the aggregator's rollup feed (``GET /v1/feed``, Server-Sent Events),
read with the person's token and boiled down to "this unit's rollup changed".

The feed opens before the page's stream starts, so a refusal (403 for a province asking for
the nation) is the page's refusal, not a broken stream. Changes are coalesced: the first goes
out at once, later ones at most once per ``throttle`` seconds, and the last of a burst is never
dropped (htmx's own ``throttle:`` drops the events of its window, so a page could miss the
last change of a burst).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from services.web.usecases.ports import LineStream, ServiceApis
from shared.periods import Period, Periodicity

# The feed sends a heartbeat after 15 s of silence; three missed means the feed is gone, and the
# page's stream ends so the browser reconnects.
READ_TIMEOUT_SECONDS = 45.0


@dataclass(frozen=True)
class Change:
    unit: str
    event_id: str | None


@dataclass
class EventParser:
    """Server-Sent Events, line by line (WHATWG's event stream format, without ``retry``)."""

    event: str = ""
    data: list[str] = field(default_factory=list)
    last_id: str | None = None

    def feed(self, line: str) -> tuple[str, str, str | None] | None:
        """The event a blank line completes, as (type, data, last id), or None."""
        if line == "":
            if not self.data:
                self.event = ""
                return None
            done = (self.event or "message", "\n".join(self.data), self.last_id)
            self.event, self.data = "", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        return None


def change_of(
    kind: str, data: str, event_id: str | None, periods: frozenset[str] | None = None
) -> Change | None:
    """A rollup update's unit (of one of ``periods``, if given); anything else in the feed is
    not a change."""
    if kind != "rollup":
        return None
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict) or (periods is not None and body.get("period") not in periods):
        return None
    unit = body.get("unit")
    return Change(unit, event_id) if isinstance(unit, str) else None


def feed_periods(period: str, periodicity: Periodicity) -> tuple[str | None, frozenset[str] | None]:
    """What to ask the feed for and which of its periods to keep: a reporting period is the
    feed's own filter; a total (a year of quarters) is not published as such, so the feed is
    asked for every period of the type and its parts are kept."""
    asked = Period.parse(period)
    if asked.periodicity == periodicity:
        return period, None
    return None, frozenset(part.label for part in asked.split(periodicity))


async def coalesce(queue: asyncio.Queue[Change | None], seconds: float) -> AsyncIterator[Change]:
    """The changes ``queue`` receives until a None: the first at once, then at most one per
    ``seconds``, each carrying the latest event id; a change held back goes out when its
    time comes, even if nothing follows it."""
    loop = asyncio.get_running_loop()
    last_sent = -math.inf
    pending: Change | None = None
    while True:
        wait = None if pending is None else max(0.0, last_sent + seconds - loop.time())
        try:
            item = await asyncio.wait_for(queue.get(), wait)
        except TimeoutError:
            item, pending = pending, None
        else:
            if item is None:
                break
            if pending is not None or loop.time() - last_sent < seconds:
                pending = item
                continue
        if item is not None:
            last_sent = loop.time()
            yield item
    if pending is not None:
        yield pending


class LiveFeed:
    """One page's subscription to the rollup feed; :meth:`close` ends it upstream."""

    def __init__(
        self,
        stream: LineStream,
        throttle_seconds: float,
        periods: frozenset[str] | None = None,
    ) -> None:
        self._stream = stream
        self._throttle = throttle_seconds
        self._periods = periods
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue()
        self._pump = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        api: ServiceApis,
        token: str,
        *,
        report_type: str,
        period: str,
        periodicity: Periodicity,
        unit: str,
        last_event_id: str | None,
        throttle_seconds: float,
    ) -> LiveFeed:
        """The feed of ``report_type`` in ``period`` (or in the parts of a period total)."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        asked, parts = feed_periods(period, periodicity)
        params = {"report_type": report_type, "unit": unit}
        if asked is not None:
            params["period"] = asked
        stream = await api.open_lines(
            "aggregator",
            "/v1/feed",
            token,
            params=params,
            headers=headers,
            read_timeout=READ_TIMEOUT_SECONDS,
        )
        return cls(stream, throttle_seconds, parts)

    def changes(self) -> AsyncIterator[Change]:
        return coalesce(self._queue, self._throttle)

    async def close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        await self._stream.close()

    async def _read(self) -> None:
        parser = EventParser()
        try:
            # When the feed breaks off, the page's stream ends and the browser reconnects.
            async for line in self._stream.lines():
                event = parser.feed(line)
                change = change_of(*event, self._periods) if event is not None else None
                if change is not None:
                    self._queue.put_nowait(change)
        finally:
            self._queue.put_nowait(None)
