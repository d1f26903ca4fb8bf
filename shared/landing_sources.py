"""What a landing stream's info says about the edges it sources (ADR 0024): read by the hub's
ops tools (`baocao edge list`) and by the validator, which records the edges' silences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared import subjects


@dataclass(frozen=True)
class SourcedEdge:
    """One edge as its landing stream sees it: how long since the hub last heard from it
    (None: never), and how many of its messages the hub knew were waiting then (stale while
    the edge is away)."""

    unit: str
    last_heard: timedelta | None
    lag: int


def sourced_edges(info: dict[str, Any]) -> list[SourcedEdge]:
    """The edges in the answer to ``$JS.API.STREAM.INFO.IN_<province>``; none for an error."""
    edges: list[SourcedEdge] = []
    for source in info.get("sources") or []:
        unit = subjects.unit_of_edge_api((source.get("external") or {}).get("api", ""))
        if unit is None:
            continue
        # Nanoseconds since the last message or heartbeat; -1 (or absent): never.
        active = source.get("active", -1)
        last_heard = None if active < 0 else timedelta(microseconds=active / 1000)
        edges.append(SourcedEdge(unit, last_heard, int(source.get("lag", 0))))
    return edges
