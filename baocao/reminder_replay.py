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
        await append_segment(js, ClockSegment(datetime.now(VIETNAM), start_of_day(start), speed))
        for offset in range(days):
            day = start + timedelta(days=offset)
            weekday = "weekend" if day.weekday() >= 5 else ""
            say(f"{day:%a %d/%m/%Y} {weekday}".rstrip())
            await asyncio.sleep(seconds_per_day)
        end = start_of_day(start + timedelta(days=days)) - timedelta(seconds=1)
        await append_segment(js, ClockSegment(datetime.now(VIETNAM), end, 0))
        await asyncio.sleep(2)  # the last deliveries
    finally:
        await subscription.unsubscribe()
        await connection.close()
    say("Notices by stage: " + ", ".join(f"{k} {v:,}" for k, v in sorted(seen.items())))
    return seen
