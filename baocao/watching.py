"""Watching the system settle: consumers drained, Central's rollups complete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import nats
from nats.js import JetStreamContext

from shared import subjects

CONSUMERS = ("validator", "aggregator")


async def backlog(js: JetStreamContext) -> int:
    """Messages the pipeline's consumers have not yet acknowledged."""
    pending = 0
    for durable in CONSUMERS:
        info = await js.consumer_info(subjects.REPORTS_STREAM, durable)
        pending += info.num_pending + info.num_ack_pending
    return pending


async def submitted_at_central(
    client: httpx.AsyncClient, report_type: str, period: str
) -> int | None:
    response = await client.get(f"/v1/rollups/{report_type}/{period}")
    if response.status_code != 200:
        return None
    count: int = response.json()["completeness"]["submitted"]
    return count


async def wait_for_central(
    central_url: str,
    expected: Mapping[tuple[str, str], int],
    *,
    headers: Mapping[str, str],
    timeout: float = 600,
    interval: float = 0.05,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Poll Central until each (report type, period) shows ``expected`` submitted reports."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    remaining = dict(expected)
    last_shown = 0.0
    async with httpx.AsyncClient(base_url=central_url, timeout=10, headers=headers) as client:
        while remaining:
            # One read per poll while the first rollup is incomplete: each Central read costs
            # the aggregator milliseconds, and polling many rollups at once slowed what it measured.
            for key, want in list(remaining.items()):
                try:
                    have = await submitted_at_central(client, *key)
                except httpx.HTTPError:
                    have = None
                if have is None or have < want:
                    break
                del remaining[key]
            if not remaining:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"Central still waits for {sorted(remaining)}")
            if progress is not None and loop.time() - last_shown > 5:
                last_shown = loop.time()
                progress(f"waiting for Central: {len(remaining)} rollups not complete yet")
            await asyncio.sleep(interval)


async def wait_drained(
    nats_url: str, options: Mapping[str, Any], *, timeout: float = 600, settle: float = 0.5
) -> None:
    """Wait until both pipeline consumers have acknowledged everything in the stream (as ops:
    reading consumers' state is not a unit's or a service's business)."""
    connection = await nats.connect(nats_url, max_reconnect_attempts=-1, **options)
    try:
        js = connection.jetstream()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                if await backlog(js) == 0:
                    await asyncio.sleep(settle)
                    if await backlog(js) == 0:
                        return
            except (nats.errors.Error, OSError, TimeoutError):
                pass
            if loop.time() > deadline:
                raise TimeoutError("the pipeline did not drain")
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def wait_quiet(
    notifier_url: str, *, headers: Mapping[str, str], timeout: float = 300
) -> None:
    """Wait until the notifier has finished its first round after a start and delivered what it
    scheduled. A cold start past a deadline schedules a notice for every late unit at once
    (33,000 at 10x), delivered by the relay loop over the next seconds; a throughput figure
    should measure reports, not that catch-up. Deliveries that wait on purpose (e-mail in quiet
    hours) stop the count from falling: five seconds without change is quiet too."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: tuple[int, float] | None = None
    async with httpx.AsyncClient(base_url=notifier_url, timeout=10, headers=headers) as client:
        while loop.time() < deadline:
            response = await client.get("/v1/ticks")
            if response.status_code == 200 and response.json()["completed"] >= 1:
                unsent = int(response.json().get("unsent", 0))
                if unsent == 0:
                    return
                if last is None or last[0] != unsent:
                    last = (unsent, loop.time())
                elif loop.time() - last[1] >= 5:
                    return
            await asyncio.sleep(0.5)
    raise TimeoutError("the notifier did not finish its first round")


async def notifier_ticks(url: str | None, headers: Mapping[str, str]) -> int:
    """How many scheduling rounds the notifier at ``url`` has completed (0 without one)."""
    if url is None:
        return 0
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=dict(headers)) as client:
        completed: int = (await client.get("/v1/ticks")).json()["completed"]
        return completed


async def notifier_ticked_since(
    url: str | None, headers: Mapping[str, str], before: int, timeout: float = 60
) -> None:
    """Wait for a scheduling round that began after the clock moved: the one running at the
    jump may have read the old time, and a step's day would be skipped."""
    if url is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await notifier_ticks(url, headers) < before + 2:
        if loop.time() > deadline:
            raise TimeoutError("the notifier did not complete a round at the new time")
        await asyncio.sleep(0.1)
