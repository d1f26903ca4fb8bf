"""A month of reminders in accelerated time, for `make run`: watch the policy happen.

The running services follow the shared clock (``BAOCAO_CLOCK=shared``); this moves it through
``days`` days from ``start``, one day every ``seconds_per_day`` real seconds, and prints every
notice published on ``notify.>`` as it comes: reminders before each deadline, the provinces'
digests the working day after, Central's three working days after, weekends and holidays
skipped. Call it after the simulated round::

    from baocao.reminder_replay import replay_month
    asyncio.run(replay_month(stack.nats_url, date(2026, 4, 1), say=say))
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import nats
from nats.aio.msg import Msg

from shared import subjects
from shared.clock import ClockSegment
from shared.clock_sync import append_segment
from shared.periods import VIETNAM, start_of_day

SECONDS_PER_DAY = 4.0
SHOWN_PER_STAGE_AND_DAY = 3  # a day's 3,321 commune reminders are counted, not all printed
HEADING_LEAD_SECONDS = 0.05  # a day's heading is printed this much before the day begins


async def replay_month(
    nats_url: str,
    options: Mapping[str, Any],
    start: date,
    *,
    days: int = 31,
    seconds_per_day: float = SECONDS_PER_DAY,
    say: Callable[[str], None] = print,
) -> Counter[str]:
    """Run the shared clock from ``start`` 00:00 (Vietnam) through ``days`` days; returns the
    notices seen, by stage. The clock is left frozen at the end of the last day."""
    connection = await nats.connect(nats_url, **options)
    js = connection.jetstream()
    seen: Counter[str] = Counter()
    shown: Counter[tuple[str, str]] = Counter()
    speed = timedelta(days=1).total_seconds() / seconds_per_day

    async def show(message: Msg) -> None:
        if message.subject.startswith(subjects.NOTIFY_DEAD_LETTER):
            return
        notice = json.loads(message.data)
        seen[notice["stage"]] += 1
        key = (notice["stage"], notice.get("period", ""))
        shown[key] += 1
        if shown[key] <= SHOWN_PER_STAGE_AND_DAY:
            say(
                f"  {notice['stage']:<10} {notice['report_type']} {notice['period']}"
                f" → {notice['recipient']}: {notice.get('subject_vi') or notice['message_vi']}"
            )
        elif shown[key] == SHOWN_PER_STAGE_AND_DAY + 1:
            say(f"  ... more {notice['stage']} notices for {notice['period']}")

    subscription = await connection.subscribe(f"{subjects.NOTIFY}.>", cb=show)
    try:
        say(f"Replaying {days} days from {start:%d/%m/%Y}, a day every {seconds_per_day:g} s")
        began = datetime.now(VIETNAM)
        await append_segment(js, ClockSegment(began, start_of_day(start), speed))
        for offset in range(days):
            # Each day's heading goes out just before the shared clock reaches that day, on a
            # schedule fixed from the segment's start: sleeping a day at a time would add each
            # sleep's overshoot, and on a busy machine a heading came after its day's notices.
            turn = began + timedelta(seconds=offset * seconds_per_day - HEADING_LEAD_SECONDS)
            await asyncio.sleep(max(0.0, (turn - datetime.now(VIETNAM)).total_seconds()))
            day = start + timedelta(days=offset)
            weekday = "weekend" if day.weekday() >= 5 else ""
            say(f"{day:%a %d/%m/%Y} {weekday}".rstrip())
        last_turn = began + timedelta(seconds=days * seconds_per_day)
        await asyncio.sleep(max(0.0, (last_turn - datetime.now(VIETNAM)).total_seconds()))
        end = start_of_day(start + timedelta(days=days)) - timedelta(seconds=1)
        await append_segment(js, ClockSegment(datetime.now(VIETNAM), end, 0))
        await asyncio.sleep(2)  # the last deliveries
    finally:
        await subscription.unsubscribe()
        await connection.close()
    say("Notices by stage: " + ", ".join(f"{k} {v:,}" for k, v in sorted(seen.items())))
    return seen
