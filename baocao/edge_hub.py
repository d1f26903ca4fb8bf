"""The hub's side of the edges: which edges it sources, and how far behind each one is.

An edge's outbox reaches the hub by NATS's own durable stream sourcing (ADR 0024): the hub
lists the edge's ``OUTBOX`` as a source, and pulls from the edge's durable consumer ``HUB``
whenever the leaf connection is up. Two hops, both defined here by ops:

1. ``IN_<province>``, a landing stream with no subjects of its own, sources each edge of the
   province and prefixes everything it gets with ``landed.<unit>.``. The edge's admin controls
   what its outbox holds, so nothing it sends is trusted yet.
2. ``REPORTS`` sources each landing stream through one transform,
   ``landed.*.reports.submitted.<province>.*`` to ``reports.submitted.<province>.<the edge's
   unit>``: the subject is the edge's own unit whatever the edge wrote, so a report naming
   another unit is the validator's ``subject_mismatch``, and anything that is not a submission
   (a forged verdict, a keyed report) never reaches ``REPORTS``.

Measured in the research for ADR 0024: 3,321 edges sourced through 34 landing streams cost the
hub about 80-105 MB and 15 % of a core, against 470-770 MB and 28 % for a stream per edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from nats.aio.client import Client

from baocao.jetstream_api import JetStreamApiError, checked, request
from shared import subjects
from shared.landing_sources import sourced_edges
from shared.subjects import REPORTS_STREAM, SUBMITTED

# What has landed is in REPORTS within seconds; a week's copy is for an operator's questions.
LANDING_MAX_AGE = timedelta(days=7)
DUPLICATE_WINDOW_NANOS = int(subjects.DUPLICATE_WINDOW.total_seconds() * 1e9)


@dataclass(frozen=True)
class EdgeLink:
    """One edge as the hub sees it: when it last heard from it and how many of its messages
    the hub knew were waiting then (stale while the edge is away)."""

    unit: str
    province: str
    last_heard: timedelta | None  # None: never
    lag: int


def edge_source(province: str, unit: str) -> dict[str, Any]:
    """The landing stream's source for the edge of ``unit``: its outbox, through its durable
    consumer, every subject prefixed with the unit."""
    return {
        "name": subjects.EDGE_OUTBOX,
        "consumer": {
            "name": subjects.EDGE_CONSUMER,
            "deliver_subject": subjects.edge_deliver(province, unit),
        },
        "external": {"api": subjects.edge_api(unit), "deliver": ""},
        "subject_transforms": [{"src": ">", "dest": subjects.landed(unit)}],
    }


def landing_source(province: str) -> dict[str, Any]:
    """REPORTS' source for a province's landing stream: its units' own submissions only."""
    return {
        "name": subjects.landing_stream(province),
        "subject_transforms": [
            {
                "src": subjects.landed("*", f"{SUBMITTED}.{province}.*"),
                "dest": f"{SUBMITTED}.{province}.{{{{wildcard(1)}}}}",
            }
        ],
    }


async def register_edge(connection: Client, province: str, unit: str) -> bool:
    """Have the hub source the edge of ``unit`` (ops' connection). Idempotent; True if
    anything changed."""
    landing = subjects.landing_stream(province)
    changed = await _with_source(
        connection, landing, edge_source(province, unit), _landing_config(landing)
    )
    return await _with_source(connection, REPORTS_STREAM, landing_source(province)) or changed


async def edge_links(connection: Client, provinces: list[str]) -> list[EdgeLink]:
    """Every edge the hub sources, from the landing streams of ``provinces`` that exist."""
    links: list[EdgeLink] = []
    for province in provinces:
        info = await request(connection, f"$JS.API.STREAM.INFO.{subjects.landing_stream(province)}")
        links += [
            EdgeLink(edge.unit, province, edge.last_heard, edge.lag) for edge in sourced_edges(info)
        ]
    return links


def _landing_config(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "retention": "limits",
        "storage": "file",
        "discard": "old",
        "max_age": int(LANDING_MAX_AGE.total_seconds() * 1e9),
        "duplicate_window": DUPLICATE_WINDOW_NANOS,
        "num_replicas": 1,
        "sources": [],
    }


async def _with_source(
    connection: Client, stream: str, source: dict[str, Any], new: dict[str, Any] | None = None
) -> bool:
    info = await request(connection, f"$JS.API.STREAM.INFO.{stream}")
    if "error" in info:
        if new is None:
            raise JetStreamApiError(f"{stream}: {info['error'].get('description')}")
        await checked(connection, f"$JS.API.STREAM.CREATE.{stream}", {**new, "sources": [source]})
        return True
    config = info["config"]
    sources = config.get("sources") or []
    if any(_same_source(s, source) for s in sources):
        return False
    await checked(
        connection, f"$JS.API.STREAM.UPDATE.{stream}", {**config, "sources": [*sources, source]}
    )
    return True


def _same_source(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return existing.get("name") == wanted["name"] and (existing.get("external") or {}).get(
        "api"
    ) == (wanted.get("external") or {}).get("api")
