"""Rollups recomputed from scratch: from the validator's record of accepted submissions, or
from the REPORTS stream. The live path folds report by report; this one rolls every province up
again from the latest reports, so comparing the two checks the live arithmetic."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass

from services.aggregator.domain.latest import latest_per_report
from services.aggregator.usecases.aggregation import AggregationService
from shared.schemas import Verdict


@dataclass(frozen=True)
class Rebuilt:
    report_type: str
    period: str
    reports: int
    provinces: int


async def rebuild(
    service: AggregationService,
    verdicts: AsyncIterable[Verdict],
    *,
    say: Callable[[str], None] = lambda _: None,
) -> list[Rebuilt]:
    """Replace the rollups of every (report type, period) that ``verdicts`` hold."""
    by_period: dict[tuple[str, str], list[Verdict]] = {}
    read = 0
    async for verdict in verdicts:
        read += 1
        if read % 10_000 == 0:
            say(f"read {read:,} accepted submissions")
        if service.catalog.get(verdict.report_type) is not None:
            by_period.setdefault((verdict.report_type, verdict.period), []).append(verdict)
    say(f"read {read:,} accepted submissions, {len(by_period)} report periods to rebuild")
    done = []
    for index, ((report_type, period), found) in enumerate(sorted(by_period.items()), 1):
        latest = latest_per_report(found)
        provinces = await service.store.replace_period(
            report_type, period, latest, service.refold, service.clock.now()
        )
        done.append(Rebuilt(report_type, period, len(latest), provinces))
        say(
            f"[{index}/{len(by_period)}] {report_type} {period}:"
            f" {len(latest):,} unit reports, {provinces} provinces"
        )
    return done
