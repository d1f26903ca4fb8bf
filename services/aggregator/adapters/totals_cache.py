"""Province period totals kept in memory while none of their rows has been written since.

A year of a quarterly report is about 13,400 reports to read and fold; a dashboard polling it
gets the folded totals back as long as the province rows' versions (new on every write) are
the ones the total was made from, so a correction is seen at once.
"""

from __future__ import annotations

from services.aggregator.domain.rollup import Rollup
from services.aggregator.usecases.ports import TotalKey, Versions

# Province totals kept at most (34 per total asked for: a few years, halves and quarters).
TOTALS_CACHED = 4096


class InMemoryTotals:
    """``usecases.ports.TotalsCache`` in this process's memory."""

    def __init__(self, limit: int = TOTALS_CACHED) -> None:
        self._limit = limit
        self._totals: dict[TotalKey, tuple[Versions, Rollup]] = {}

    def get(self, key: TotalKey, versions: Versions) -> Rollup | None:
        """The total of ``key`` if it was made from rows of exactly ``versions``."""
        cached = self._totals.get(key)
        return cached[1] if cached is not None and cached[0] == versions else None

    def make_room(self) -> None:
        """Called before a batch of new totals: past the limit, start afresh."""
        if len(self._totals) > self._limit:
            self._totals.clear()

    def put(self, key: TotalKey, versions: Versions, total: Rollup) -> None:
        self._totals[key] = (versions, total)
