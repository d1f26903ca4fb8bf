"""What `baocao edge status`, `run` and `list` print, as text for operators and as JSON for
machines. Pure: every function takes what was read and the time now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from baocao.edge_hub import EdgeLink
from baocao.edge_node import OutboxStatus
from shared.periods import VIETNAM

TIME_FORMAT = "%d/%m/%Y %H:%M:%S"


def vietnam_time(instant: datetime) -> str:
    return instant.astimezone(VIETNAM).strftime(TIME_FORMAT)


def duration_text(duration: timedelta) -> str:
    """``45s``, ``2m 05s``, ``3h 02m``, ``4d 07h``: the two largest units, enough to act on."""
    seconds = max(0, int(duration.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def link_text(link_up: bool | None) -> str:
    return "unknown" if link_up is None else "up" if link_up else "down"


def leaf_link_up(leafz: dict[str, Any]) -> bool:
    """Whether the edge's nats-server has a leaf connection (its ``/leafz`` answer)."""
    return bool(leafz.get("leafnodes"))


@dataclass(frozen=True)
class EdgeReading:
    """One look at a running edge: its outbox (None: it could not be read) and its link."""

    unit: str
    province: str
    url: str
    outbox: OutboxStatus | None
    link_up: bool | None = None
    problem: str | None = None


def status_exit_code(reading: EdgeReading) -> int:
    if reading.outbox is None:
        return 2
    return 1 if reading.outbox.unsent else 0


def status_text(reading: EdgeReading, now: datetime) -> str:
    head = f"edge {reading.unit} (province {reading.province}) at {reading.url}"
    if reading.outbox is None:
        return f"{head}: cannot be reached ({reading.problem})"
    outbox = reading.outbox
    oldest = "-"
    if outbox.oldest_unsent_at is not None:
        age = duration_text(now - outbox.oldest_unsent_at)
        oldest = f"{vietnam_time(outbox.oldest_unsent_at)} ({age} ago)"
    rows = [
        ("stored", str(outbox.stored)),
        ("unsent", str(outbox.unsent)),
        ("oldest unsent", oldest),
        ("link to hub", link_text(reading.link_up)),
    ]
    return "\n".join([head, *(f"  {label:<14} {value}" for label, value in rows)])


def status_json(reading: EdgeReading, now: datetime) -> dict[str, Any]:
    """Times as ISO 8601 in Vietnam time, ages in whole seconds: for machines."""
    found: dict[str, Any] = {
        "unit": reading.unit,
        "province": reading.province,
        "url": reading.url,
        "reachable": reading.outbox is not None,
    }
    if reading.outbox is None:
        # Same keys either way, so a script can poll on ``link_up`` while the edge starts.
        return {**found, "link_up": None, "error": reading.problem}
    outbox = reading.outbox
    oldest = outbox.oldest_unsent_at
    return {
        **found,
        "stored": outbox.stored,
        "unsent": outbox.unsent,
        "oldest_unsent_at": None if oldest is None else _iso(oldest),
        "oldest_unsent_age_seconds": None if oldest is None else _seconds(now - oldest),
        "link_up": reading.link_up,
    }


def status_line(outbox: OutboxStatus, link_up: bool | None, now: datetime) -> str:
    """``edge run``'s line every few seconds."""
    age = outbox.oldest_unsent_age(now)
    oldest = "" if age is None else f"  oldest {duration_text(age)}"
    return (
        f"{vietnam_time(now)}  unsent {outbox.unsent}{oldest}"
        f"  stored {outbox.stored}  link {link_text(link_up)}"
    )


def worth_a_line(
    outbox: OutboxStatus, link_up: bool | None, last: tuple[int, int, bool | None] | None
) -> bool:
    """A line while anything waits, or when something changed: a quiet edge stays quiet."""
    return outbox.unsent > 0 or (outbox.stored, outbox.unsent, link_up) != last


# --- pure: the hub's edges -----------------------------------------------------------------


def longest_silent_first(links: Iterable[EdgeLink]) -> list[EdgeLink]:
    """Never heard from first, then the longest silent; ties by province and unit."""
    never = timedelta.max
    return sorted(
        links,
        key=lambda link: (-(link.last_heard or never).total_seconds(), link.province, link.unit),
    )


def links_text(links: list[EdgeLink], now: datetime) -> str:
    if not links:
        return "The hub sources no edge yet (baocao edge add UNIT --out DIR)."
    rows = [f"{'unit':<7} {'province':<8}  {'last heard':<19}  {'silent for':<10}  lag"]
    for link in longest_silent_first(links):
        heard, silent = "never", "-"
        if link.last_heard is not None:
            heard, silent = vietnam_time(now - link.last_heard), duration_text(link.last_heard)
        rows.append(f"{link.unit:<7} {link.province:<8}  {heard:<19}  {silent:<10}  {link.lag}")
    return "\n".join([*rows, f"{len(links)} edges"])


def links_json(links: list[EdgeLink], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "unit": link.unit,
            "province": link.province,
            "last_heard_at": None if link.last_heard is None else _iso(now - link.last_heard),
            "silent_seconds": None if link.last_heard is None else _seconds(link.last_heard),
            "lag": link.lag,
        }
        for link in longest_silent_first(links)
    ]


def _iso(instant: datetime) -> str:
    return instant.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def _seconds(duration: timedelta) -> int:
    return max(0, int(duration.total_seconds()))


# --- entrypoints ---------------------------------------------------------------------------
