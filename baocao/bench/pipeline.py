"""End-to-end figures: reports in at intake or on NATS, out in the Central read API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import httpx

from baocao.load import LoadPlan, Mix, Oracle, Planned, plan_national
from baocao.sending import Sender
from baocao.simulate import Target, check_oracle
from baocao.watching import submitted_at_central, wait_drained, wait_for_central
from shared.catalog import Catalog
from shared.periods import Period
from shared.registry import Registry

Rollup = tuple[str, Period]


def rollups_newest_first(
    catalog: Catalog, registry: Registry, newest: dict[str, Period]
) -> Iterator[Rollup]:
    """(report type, period) pairs from ``newest`` backwards, alternating types, while the
    registry has units for them."""
    steps = 0
    while True:
        produced = False
        for code in sorted(newest):
            period = newest[code].shifted(-steps)
            if registry.provinces(period.cutoff_end):
                produced = True
                yield code, period
        if not produced:
            return
        steps += 1


def plan_rollups(
    registry: Registry, catalog: Catalog, rollups: Sequence[Rollup], mix: Mix, seed: int
) -> LoadPlan:
    first: list[Planned] = []
    second: list[Planned] = []
    oracle = Oracle()
    for index, (code, period) in enumerate(rollups):
        plan = plan_national(registry, catalog, {code: period}, mix=mix, seed=seed * 1000 + index)
        first += plan.first
        second += plan.second
        oracle.final.update(plan.oracle.final)
    return LoadPlan(first, second, oracle)


async def throughput(
    plan: LoadPlan, target: Target, *, concurrency: int, progress: Callable[[str], None]
) -> float:
    """Reports per second from the first send to the last report visible at Central."""
    started = time.perf_counter()
    async with Sender(
        nats_url=target.nats_url,
        intake_url=target.intake_url,
        issuer=target.issuer,
        identities=target.nats,
        concurrency=concurrency,
        progress=progress,
    ) as sender:
        over_nats = [p for p in plan.first if p.channel == "nats"]
        over_http = [p for p in plan.first if p.channel == "http"]
        await asyncio.gather(sender.blast(over_nats), sender.send(over_http, "over HTTP"))
        await sender.blast([p for p in plan.second if p.channel == "nats"])
        await sender.send([p for p in plan.second if p.channel == "http"], "over HTTP")
    if sender.outcome.refused:
        raise RuntimeError(f"intake refused {len(sender.outcome.refused)} planned reports")
    await wait_for_central(
        target.central_url, plan.expected_counts(), headers=target.central_headers, interval=0.1
    )
    await wait_drained(target.nats_url, target.ops, settle=0)  # corrections and re-sends too
    elapsed = time.perf_counter() - started
    return len(plan.all) / elapsed


@dataclass(frozen=True)
class Freshness:
    rate: float
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def freshness(
    plans: Sequence[LoadPlan], target: Target, rate: float, poll: float = 0.02
) -> Freshness:
    """Send at ``rate`` reports/s, one rollup at a time, and time each report until Central
    counts it. Reports are judged and rolled up in stream order, so the n-th report sent is
    visible once Central counts n; Central is polled every ``poll`` seconds, which bounds the
    error of each sample."""
    latencies: list[float] = []
    async with (
        Sender(
            nats_url=target.nats_url,
            intake_url=target.intake_url,
            issuer=target.issuer,
            identities=target.nats,
        ) as sender,
        httpx.AsyncClient(
            base_url=target.central_url, timeout=10, headers=target.central_headers
        ) as central,
    ):
        for plan in plans:
            ((report_type, period),) = plan.oracle.rollups()
            sent: list[float] = []
            seen: list[float] = []
            watcher = asyncio.create_task(
                _watch(central, report_type, period, sent, seen, len(plan.first), poll)
            )
            started = time.perf_counter()
            pending = []
            for index, item in enumerate(plan.first):
                delay = started + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent.append(time.perf_counter())
                pending.append(asyncio.create_task(sender.send_one(item)))
            await asyncio.gather(*pending)
            await asyncio.wait_for(watcher, timeout=120)
            latencies += [(s - t) * 1000 for t, s in zip(sent, seen, strict=True)]
    return Freshness(
        rate,
        len(latencies),
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
    )


async def _watch(
    central: httpx.AsyncClient,
    report_type: str,
    period: str,
    sent: list[float],
    seen: list[float],
    total: int,
    poll: float,
) -> None:
    """Note when Central first counts n reports, for n up to ``total``."""
    while len(seen) < total:
        count = await submitted_at_central(central, report_type, period) or 0
        now = time.perf_counter()
        while len(seen) < min(count, len(sent)):
            seen.append(now)
        await asyncio.sleep(poll)


@dataclass(frozen=True)
class Burst:
    submissions: int
    seconds: float
    mismatches: list[str]


async def burst(plan: LoadPlan, target: Target, catalog: Catalog) -> Burst:
    """Everything at once over NATS, then the corrections and re-sends; the clock stops when
    every rollup's completeness is final at Central."""
    started = time.perf_counter()
    async with Sender(
        nats_url=target.nats_url,
        intake_url=target.intake_url,
        issuer=target.issuer,
        identities=target.nats,
    ) as sender:
        await sender.blast(plan.first)
        await sender.blast(plan.second)
    await wait_for_central(
        target.central_url, plan.expected_counts(), headers=target.central_headers, interval=0.02
    )
    await wait_drained(target.nats_url, target.ops, settle=0)  # corrections too, not counts
    seconds = time.perf_counter() - started
    mismatches = await check_oracle(plan, target.central_url, catalog, target.central_headers)
    return Burst(len(plan.all), seconds, mismatches)
