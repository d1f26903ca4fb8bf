"""The link watch: every few seconds, which edges the hub hears nothing from, recorded as
quiet spells (domain/link_silence.py). The judgement honours a signed time only inside one.

A look that fails (the hub restarting, a grant missing) records nothing: a spell missed makes
the receipt count, the cautious side, and is logged for ops."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from services.validator import metrics
from services.validator.domain.link_silence import Silence, look
from services.validator.usecases.ports import EdgeLinks, QuietSpellRecords
from shared.clock import Clock
from shared.logging import get_logger

log = get_logger(__name__)


class LinkWatch:
    def __init__(
        self, links: EdgeLinks, spells: QuietSpellRecords, clock: Clock, every_seconds: float
    ) -> None:
        self.links = links
        self.spells = spells
        self.clock = clock
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def look_once(self) -> int:
        """Look at every edge once and record what was seen; returns how many are silent."""
        asked_at = datetime.now(UTC)
        readings = await self.links.read()
        answered_at = datetime.now(UTC)
        # Real instants to system time: under the simulated round's clock a silence of a few
        # real seconds may span simulated hours, as the reports' receipts do.
        seen = look(readings, asked_at, answered_at)
        silent = [
            Silence(s.unit, self.clock.at(s.began), self.clock.at(s.seen_at)) for s in seen.silent
        ]
        await self.spells.observe(silent, seen.heard)
        metrics.edges_silent(len(silent), len(readings))
        return len(silent)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.look_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure: try again at the next look
                log.warning("edge link watch failed; no spell recorded", error=str(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every_seconds)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="edge-link-watch")

    async def stop(self) -> None:
        """Stop looking. Said by an event as well as by cancelling: on Python 3.11 a
        cancellation that meets a request's answer can be swallowed by ``asyncio.wait_for``,
        and the watch would look on forever while its stop waited for it."""
        if self._task is not None:
            self._stopping.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
