"""When the hub counts an edge's link as silent, from one look at its landing streams. Pure.

Each landing stream's source for an edge says how long ago the hub last heard from that edge
(``active``: a message or the consumer's heartbeat, about one a second while the link is up).
The validator looks every few seconds (usecases/link_watch.py) and records a quiet spell
(migration 0012) for each edge it has not heard from for longer than ``SILENCE``. The spell
is the hub's own evidence, which offline_time.py requires before honouring a signed time.

Both ends are taken on the cautious side, so that a spell never claims more silence than there
was: it begins when the hub last heard from the edge, computed from the moment the answer
came back (the latest it could be), and it lasts until the moment the look was asked for (the
earliest instant the answer speaks for).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Several missed heartbeats: a busy link or a slow answer is not a silence.
SILENCE = timedelta(seconds=10)


@dataclass(frozen=True)
class EdgeReading:
    """One edge in one look: how long since the hub last heard from it (None: never)."""

    unit: str
    last_heard: timedelta | None


@dataclass(frozen=True)
class Silence:
    """An edge silent at the time of a look, since ``began``."""

    unit: str
    began: datetime
    seen_at: datetime


@dataclass(frozen=True)
class Look:
    """What one look found: the silent edges, and the units heard from lately (whose open
    spell, if any, has ended)."""

    silent: list[Silence]
    heard: list[str]


def look(readings: Iterable[EdgeReading], asked_at: datetime, answered_at: datetime) -> Look:
    """Sort ``readings`` taken between ``asked_at`` and ``answered_at``. An edge never heard
    from is neither: nothing says when its silence began, and nothing is honoured for it."""
    silent: list[Silence] = []
    heard: list[str] = []
    for reading in readings:
        if reading.last_heard is None:
            continue
        if reading.last_heard <= SILENCE:
            heard.append(reading.unit)
            continue
        began = min(answered_at - reading.last_heard, asked_at)
        silent.append(Silence(reading.unit, began, asked_at))
    return Look(silent, heard)
