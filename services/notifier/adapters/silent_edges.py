"""Which units' edges the hub hears nothing from now, read from the validator's record of each
edge link's quiet spells: reminders wait for them (``domain/silent_edges.py``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import asyncpg


class PostgresSilentEdges:
    """:class:`~services.notifier.usecases.ports.SilentEdges` in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def silent(self, units: Collection[str]) -> dict[str, datetime]:
        """Through the view silent_edges (the notifier may not read edge_link_spells): one open
        spell per unit at most, so one row each."""
        if not units:
            return {}
        rows = await self._pool.fetch(
            "SELECT unit, began FROM silent_edges WHERE unit = ANY($1::text[])", list(units)
        )
        return {r["unit"]: r["began"] for r in rows}
