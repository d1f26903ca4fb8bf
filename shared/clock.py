"""The system's notion of time, injectable so tests and the simulated round can move it.

A clock maps real instants (the wall clock, or the time JetStream stored a message) to system
time. The default is the identity. A :class:`ScheduledClock` follows a schedule of segments, each
starting at a real instant and running from a system instant at some speed (0 freezes time). A
real instant is always mapped by the segment in force at that instant, so a report stored before
the clock jumped keeps the time it was received at.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def at(self, real: datetime) -> datetime:
        """System time corresponding to the real instant ``real``."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def at(self, real: datetime) -> datetime:
        return real


@dataclass(frozen=True, order=True)
class ClockSegment:
    real_start: datetime
    system_start: datetime
    speed: float = 1.0

    def map(self, real: datetime) -> datetime:
        return self.system_start + (real - self.real_start) * self.speed


class ScheduledClock:
    """A piecewise clock. Before its first segment it is the identity."""

    def __init__(self, segments: list[ClockSegment] | None = None) -> None:
        self._segments: list[ClockSegment] = sorted(segments or [])

    @property
    def segments(self) -> list[ClockSegment]:
        return list(self._segments)

    def replace(self, segments: list[ClockSegment]) -> None:
        self._segments = sorted(segments)

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def at(self, real: datetime) -> datetime:
        index = bisect.bisect_right([s.real_start for s in self._segments], real) - 1
        if index < 0:
            return real
        return self._segments[index].map(real)


class FixedClock:
    """A clock standing still at ``instant``; for unit tests."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant

    def at(self, real: datetime) -> datetime:
        return self.instant
