"""Five years of history, loaded straight into PostgreSQL, and the read figures over it.

Going through the pipeline would take as long as five years of rounds at e2e speed, and what
the read figures depend on is the size of the tables, not how the rows got there. Every unit
gets a report for every period of every report type; the province rows hold their true rollups
(the aggregator's own arithmetic: what is measured here is reading, not folding).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from baocao.bench.pipeline import percentile
from baocao.load import values_for
from services.aggregator.domain.rollup import UnitReport, canonical, roll_up
from shared.catalog import Catalog, Level
from shared.periods import VIETNAM, Period
from shared.registry import Registry

YEARS = 5


def history_rollups(
    catalog: Catalog, newest: dict[str, Period], skip: set[tuple[str, str]]
) -> list[tuple[str, Period]]:
    """Every period of every report type in the five years up to ``newest``, less ``skip``."""
    rollups = []
    for code, period in newest.items():
        per_year = 12 // period.months
        for back in range(YEARS * per_year):
            earlier = period.shifted(-back)
            if (code, earlier.label) not in skip:
                rollups.append((code, earlier))
    return rollups


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _document(values: dict[str, Any]) -> str:
    # COPY goes in binary, where asyncpg's own jsonb codec takes JSON text.
    return json.dumps({k: _json(v) for k, v in values.items()})


ROLLUP_COLUMNS = (
    "report_type",
    "period",
    "province",
    "sums",
    "counts",
    "expected",
    "submitted",
    "on_time",
    "late",
    "updated_at",
    "weights",
    "targets",
)


async def load_history(
    database_url: str,
    registry: Registry,
    catalog: Catalog,
    rollups: Sequence[tuple[str, Period]],
    progress: Callable[[str], None],
) -> int:
    """COPY a report per unit and the province rows for each rollup. Returns reports loaded."""
    rng = random.Random(5)
    # Reports from before the two-level reform are filed under today's units, as after a backfill.
    units = [
        (u, p.code)
        for p in registry.provinces(datetime.now(VIETNAM).date())
        for u in [p, *registry.children(p.code, datetime.now(VIETNAM).date())]
    ]
    connection = await asyncpg.connect(database_url)
    loaded = 0
    try:
        for index, (code, period) in enumerate(rollups, 1):
            report_type = catalog.report_types[code]
            levels = set(report_type.submitting_levels())
            received = datetime.combine(period.cutoff_end, datetime.min.time(), VIETNAM)
            reports = []
            by_province: dict[str, list[UnitReport]] = {}
            for unit, province in units:
                if unit.level not in levels:
                    continue
                values = values_for(code, rng, 5 if unit.level == Level.PROVINCE else 1)
                reports.append(
                    (
                        code,
                        period.label,
                        unit.code,
                        province,
                        f"history-{code}-{period.label}-{unit.code}",
                        received + timedelta(seconds=rng.randint(0, 86400)),
                        0,
                        "on_time",
                        _document(values),
                    )
                )
                by_province.setdefault(province, []).append(
                    UnitReport(unit.code, "on_time", values)
                )
            rows = []
            for province, found in by_province.items():
                rollup = roll_up(found, len(found), report_type)
                rows.append(
                    (
                        code,
                        period.label,
                        province,
                        _document(canonical(rollup.tally.sums)),
                        json.dumps(rollup.tally.counts),
                        len(found),
                        len(found),
                        len(found),
                        0,
                        received,
                        _document(canonical(rollup.tally.weights)),
                        json.dumps({k: [c.met, c.missed] for k, c in rollup.targets.items()}),
                    )
                )
            async with connection.transaction():
                await connection.copy_records_to_table("latest_reports", records=reports)
                await connection.copy_records_to_table(
                    "province_rollups", records=rows, columns=ROLLUP_COLUMNS
                )
            loaded += len(reports)
            if index % 10 == 0 or index == len(rollups):
                progress(f"history: {index}/{len(rollups)} rollups, {loaded:,} reports")
        await connection.execute("ANALYZE latest_reports; ANALYZE province_rollups")
    finally:
        await connection.close()
    return loaded


@dataclass(frozen=True)
class ReadFigures:
    requests: int
    p50_ms: float
    p99_ms: float
    first_ms: float  # the warm-up read of the first path: cold caches


async def read_latency(
    base_url: str, paths: Sequence[str], requests: int, headers: Mapping[str, str]
) -> ReadFigures:
    """Sequential GETs, one connection kept alive: the latency one reader sees."""
    timings: list[float] = []
    first_ms = 0.0
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as client:
        for index, path in enumerate(paths):  # warm up
            started = time.perf_counter()
            (await client.get(path)).raise_for_status()
            if index == 0:
                first_ms = (time.perf_counter() - started) * 1000
        for n in range(requests):
            started = time.perf_counter()
            response = await client.get(paths[n % len(paths)])
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return ReadFigures(requests, percentile(timings, 50), percentile(timings, 99), first_ms)
