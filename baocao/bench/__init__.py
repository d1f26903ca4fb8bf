"""`make bench`: every figure of docs/performance.md from one run on one machine.

One system is started (as `make run` starts it, on loopback, in a temporary directory) for the
raw, e2e, freshness, burst and read figures; a second one with ten times the communes for the
scale figure. Each figure is printed as it is measured, then all of them again as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from baocao.bench.catalog import benchmark_environment
from baocao.bench.edges import measure as edge_scale
from baocao.bench.history import history_rollups, load_history, read_latency
from baocao.bench.pipeline import burst, freshness, plan_rollups, rollups_newest_first, throughput
from baocao.bench.raw import measure_raw
from baocao.bench.signatures import verify_cost_us
from baocao.bench.web import national_page
from baocao.load import Mix, latest_open_periods, plan_national, synthetic_communes
from baocao.simulate import Target, registry_with
from baocao.stack import Stack
from baocao.watching import wait_quiet
from shared.catalog import Catalog, Level
from shared.periods import VIETNAM, Period

REPORT = "kl226-quarterly"


def say(message: str) -> None:
    print(message, flush=True)


def figure(results: dict[str, Any], key: str, value: float, unit: str, label: str) -> None:
    results[key] = round(value, 3)
    say(f"{label:<44} {value:>12,.1f} {unit}")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
    }


class BenchRun:
    """The phases of one `make bench`, sharing one system and one pool of unused rollups."""

    def __init__(self, *, quick: bool) -> None:
        self.quick = quick
        self.size = 4000 if quick else 20000
        self.catalog = Catalog.load()
        self.now = datetime.now(VIETNAM)
        self.registry = registry_with([])
        self.newest = latest_open_periods(self.catalog, self.now)
        self.pool = rollups_newest_first(self.catalog, self.registry, self.newest)
        self.used: set[tuple[str, str]] = set()
        self.results: dict[str, Any] = {
            "date": self.now.isoformat(timespec="seconds"),
            "machine": machine(),
            "mode": "quick" if quick else "full",
        }

    def figure(self, key: str, value: float, unit: str, label: str) -> None:
        figure(self.results, key, value, unit, label)

    def take(self, count: int) -> list[tuple[str, Period]]:
        taken = [next(self.pool) for _ in range(count)]
        self.used.update((code, period.label) for code, period in taken)
        return taken

    def raw(self, stack: Stack) -> float:
        sample = plan_national(
            self.registry, self.catalog, {REPORT: self.newest[REPORT]}, mix=Mix.clean()
        )
        payload = sample.first[0].body()
        self.results["report_bytes"] = len(payload)
        self.figure(
            "verify_signature_us",
            verify_cost_us(sample.first[:500]),
            "µs",
            "verify: Ed25519 signature per report",
        )
        raw = asyncio.run(
            measure_raw(
                stack.nats_url,
                stack.nats_identities.options("ops"),
                stack.database_url,
                payload,
                self.size,
            )
        )
        self.figure("raw_publish_per_s", raw.publish_per_s, "msg/s", "raw: JetStream async publish")
        self.figure(
            "raw_consume_per_s", raw.consume_per_s, "msg/s", "raw: JetStream pull consume + ack"
        )
        self.figure(
            "raw_per_s", raw.publish_consume_per_s, "msg/s", "raw: JetStream publish + consume"
        )
        self.figure("raw_upsert_rows_per_s", raw.upsert_rows_per_s, "rows/s", "raw: asyncpg upsert")
        return raw.publish_consume_per_s

    def e2e(self, target: Target) -> float:
        per_rollup = len(self.registry.units(Level.COMMUNE, self.now.date())) + 34
        rollups = max(1, -(-self.size // per_rollup))
        plan = plan_rollups(self.registry, self.catalog, self.take(rollups), Mix.clean(), seed=11)
        plan = plan.limited(self.size)
        over_nats = asyncio.run(throughput(plan, target, concurrency=256, progress=_silent))
        self.figure(
            "e2e_nats_per_s", over_nats, "reports/s", f"e2e over NATS ({self.size:,} reports)"
        )
        http = plan_rollups(self.registry, self.catalog, self.take(1), Mix.clean(1.0), seed=12)
        http = http.limited(self.size // 4)
        over_http = asyncio.run(throughput(http, target, concurrency=64, progress=_silent))
        self.figure(
            "e2e_http_per_s",
            over_http,
            "reports/s",
            f"e2e over HTTP intake ({len(http.first):,} reports)",
        )
        return over_nats

    def freshness(self, target: Target, rate: float) -> None:
        plans = [
            plan_rollups(self.registry, self.catalog, self.take(1), Mix.clean(), seed=13 + n)
            for n in range(1 if self.quick else 2)
        ]
        fresh = asyncio.run(freshness(plans, target, rate=rate))
        self.results["freshness_rate_per_s"] = round(fresh.rate, 1)
        self.results["freshness_samples"] = fresh.samples
        self.figure("freshness_p50_ms", fresh.p50_ms, "ms", f"freshness p50 at {fresh.rate:,.0f}/s")
        self.figure("freshness_p95_ms", fresh.p95_ms, "ms", "freshness p95")
        self.figure("freshness_p99_ms", fresh.p99_ms, "ms", "freshness p99")

    def burst(self, target: Target) -> list[tuple[str, Period]]:
        rollups = [next((c, p) for c, p in self.pool if c == code) for code in sorted(self.newest)]
        self.used.update((c, p.label) for c, p in rollups)
        plan = plan_national(self.registry, self.catalog, dict(rollups), mix=Mix(), seed=99)
        national = asyncio.run(burst(plan, target, self.catalog))
        self.results["burst_submissions"] = national.submissions
        self.results["burst_oracle_holds"] = not national.mismatches
        self.figure(
            "burst_s",
            national.seconds,
            "s",
            f"burst: national round, every type ({national.submissions:,})",
        )
        if national.mismatches:
            say("burst: ORACLE MISMATCH: " + "; ".join(national.mismatches[:5]))
        return rollups

    def reads(self, stack: Stack, target: Target, rollups: list[tuple[str, Period]]) -> None:
        history = history_rollups(self.catalog, self.newest, self.used)
        loaded = asyncio.run(
            load_history(stack.database_url, self.registry, self.catalog, history, say)
        )
        self.results["history_reports"] = loaded
        self.results["history_rollups"] = len(history) + len(self.used)
        reads = 200 if self.quick else 1000
        for key, label, suffix in (
            ("read_central", "Central rollup", ""),
            ("read_province", "province (Hà Nội)", "/01"),
        ):
            paths = [f"/v1/rollups/{c}/{p.label}{suffix}" for c, p in rollups]
            figures = asyncio.run(
                read_latency(target.central_url, paths, reads, target.central_headers)
            )
            self.figure(f"{key}_p50_ms", figures.p50_ms, "ms", f"read: {label} p50")
            self.figure(f"{key}_p99_ms", figures.p99_ms, "ms", f"read: {label} p99")
        # A year's total is built from every unit's reports of its quarters (about 13,400),
        # then cached per province until one of its rows is written again: the first read is
        # the cold cost, the others what a dashboard polling it sees.
        quarterly = self.newest["kl226-quarterly"]
        year = f"/v1/rollups/kl226-quarterly/{quarterly.year - 1}"
        figures = asyncio.run(
            read_latency(
                target.central_url, [year], 20 if self.quick else 60, target.central_headers
            )
        )
        self.figure("read_year_cold_ms", figures.first_ms, "ms", "read: Central year total, cold")
        self.figure("read_year_p50_ms", figures.p50_ms, "ms", "read: Central year total p50")
        self.figure("read_year_p99_ms", figures.p99_ms, "ms", "read: Central year total p99")
        self.web_pages(stack, quarterly.label)

    def web_pages(self, stack: Stack, period: str) -> None:
        """The web app's national page over the same five years (issue 16: under 1 s)."""
        page = national_page(
            stack, f"/national/kl226-quarterly/{period}", 20 if self.quick else 100
        )
        self.figure("web_national_first_ms", page.first_ms, "ms", "web: national page, first")
        self.figure("web_national_p50_ms", page.p50_ms, "ms", "web: national page p50")
        self.figure("web_national_p99_ms", page.p99_ms, "ms", "web: national page p99")
        self.figure(
            "web_first_load_kb",
            page.first_load_bytes / 1024,
            "KB",
            f"web: first load of the national page, gzip ({page.assets} assets)",
        )

    def scale(self) -> None:
        """Both sizes the same way: a fresh system, its notifier's first round done, then the
        same number of reports over NATS. The sizes alternate, twice each, and each figure is
        the mean of its two runs: on a shared VM one pair moved by ±10 % from run to run."""
        runs: dict[int, list[float]] = {1: [], 10: []}
        for factor in (1, 10, 1, 10):
            runs[factor].append(
                _scaled_throughput(self.catalog, self.now, self.size, self.newest, factor)
            )
            say(f"scale: {factor}x run {len(runs[factor])}: {runs[factor][-1]:,.1f} reports/s")
        single, tenfold = (sum(runs[f]) / len(runs[f]) for f in (1, 10))
        self.results["scale_runs"] = {f"{f}x": [round(r, 1) for r in v] for f, v in runs.items()}
        self.figure("scale_1x_per_s", single, "reports/s", "scale: e2e with 3,321 communes")
        self.figure("scale_10x_per_s", tenfold, "reports/s", "scale: e2e with 33,210 communes")
        self.figure(
            "scale_loss_pct", 100 * (1 - tenfold / single), "%", "scale: throughput loss at 10x"
        )

    def edges(self) -> None:
        """Every commune behind an edge, as the hub sources them (baocao/bench/edges.py)."""
        communes = list(self.registry.units(Level.COMMUNE, self.now.date()))
        servers = 2 if self.quick else 4
        if self.quick:
            communes = communes[:500]
        work_dir = Path(tempfile.mkdtemp(prefix="baocao-bench-edges-"))
        scale = asyncio.run(edge_scale(communes, servers, work_dir, say))
        self.results["edges"] = {"communes": scale.edges, "edge_servers": scale.edge_servers}
        label = f"{scale.edges:,} edges"
        self.figure("edges_hub_mb", scale.hub_mb_connected, "MB", f"edges: hub memory, {label}")
        self.figure(
            "edges_hub_cpu_pct", scale.hub_cpu_pct_idle, "%", f"edges: hub CPU idle, {label}"
        )
        self.figure(
            "edges_catch_up_s",
            scale.catch_up_s,
            "s",
            f"edges: hub restart to a report from each of {label}",
        )
        self.figure(
            "edges_hub_mb_after", scale.hub_mb_after_catch_up, "MB", "edges: hub memory after it"
        )


def _silent(_: str) -> None:
    return None


def bench_command(args: argparse.Namespace) -> int:
    run = BenchRun(quick=args.quick)
    say(
        f"Baocao benchmarks, {run.now:%Y-%m-%d %H:%M} on {run.results['machine']['cpus']} CPUs"
        f" ({run.results['mode']})"
    )
    started = time.perf_counter()
    if getattr(args, "only", None) == "edges":
        run.edges()
        return _written(run, args, started)
    run_dir = Path(tempfile.mkdtemp(prefix="baocao-bench-"))
    stack = Stack(run_dir, benchmark_environment(run_dir), random_ports=True, web=True)
    try:
        say("starting nats-server, PostgreSQL, the four services and the web app ...")
        stack.start()
        asyncio.run(wait_quiet(stack.url("notifier"), headers=Target.of(stack).central_headers))
        target = Target.of(stack)
        raw = run.raw(stack)
        e2e = run.e2e(target)
        run.freshness(target, rate=e2e / 2)
        rollups = run.burst(target)
        run.reads(stack, target, rollups)
    finally:
        stack.stop()
    run.scale()
    run.edges()
    run.results["e2e_raw_ratio"] = round(e2e / raw, 3)
    say(f"e2e/raw ratio: {run.results['e2e_raw_ratio']}")
    return _written(run, args, started)


def _written(run: BenchRun, args: argparse.Namespace, started: float) -> int:
    run.results["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(run.results, indent=2, ensure_ascii=False) + "\n")
    say(f"figures as JSON: {args.json}")
    return 0


def _scaled_throughput(
    catalog: Catalog, now: datetime, size: int, newest: dict[str, Any], factor: int
) -> float:
    base = registry_with([])
    extra = synthetic_communes(base, factor, now.date()) if factor > 1 else []
    registry = registry_with(extra)
    run_dir = Path(tempfile.mkdtemp(prefix=f"baocao-bench-{factor}x-"))
    stack = Stack(run_dir, benchmark_environment(run_dir), random_ports=True)
    try:
        stack.start(extra)
        asyncio.run(wait_quiet(stack.url("notifier"), headers=Target.of(stack).central_headers))
        rollups = rollups_newest_first(catalog, registry, newest)
        per_rollup = len(registry) - 1
        plan = plan_rollups(
            registry,
            catalog,
            [next(rollups) for _ in range(-(-size // per_rollup))],
            Mix.clean(),
            seed=21,
        ).limited(size)
        return asyncio.run(throughput(plan, Target.of(stack), concurrency=256, progress=_silent))
    finally:
        stack.stop()
