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

from baocao.bench.history import history_rollups, load_history, read_latency
from baocao.bench.pipeline import burst, freshness, plan_rollups, rollups_newest_first, throughput
from baocao.bench.raw import measure_raw
from baocao.load import Mix, latest_open_periods, plan_national, synthetic_communes
from baocao.simulate import Target, registry_with
from baocao.stack import Stack
from shared.catalog import Catalog
from shared.periods import VIETNAM


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


def bench_command(args: argparse.Namespace) -> int:
    quick: bool = args.quick
    size = 4000 if quick else 20000
    catalog = Catalog.load()
    now = datetime.now(VIETNAM)
    registry = registry_with([])
    newest = latest_open_periods(catalog, now)
    pool = rollups_newest_first(catalog, registry, newest)
    results: dict[str, Any] = {"date": now.isoformat(timespec="seconds"), "machine": machine()}
    say(
        f"Baocao benchmarks, {now:%Y-%m-%d %H:%M} on {results['machine']['cpus']} CPUs ({'quick' if quick else 'full'})"
    )
    started = time.perf_counter()

    stack = Stack(Path(tempfile.mkdtemp(prefix="baocao-bench-")), random_ports=True)
    try:
        say("starting nats-server, PostgreSQL and the four services ...")
        stack.start()
        target = Target.of(stack)
        sample = plan_national(
            registry, catalog, {"kl226-quarterly": newest["kl226-quarterly"]}, mix=Mix.clean()
        ).first[0]
        payload = sample.body()
        results["report_bytes"] = len(payload)

        raw = asyncio.run(
            measure_raw(
                stack.nats_url,
                stack.database_url,
                payload,
                size,
            )
        )
        figure(
            results, "raw_publish_per_s", raw.publish_per_s, "msg/s", "raw: JetStream async publish"
        )
        figure(
            results,
            "raw_consume_per_s",
            raw.consume_per_s,
            "msg/s",
            "raw: JetStream pull consume + ack",
        )
        figure(
            results,
            "raw_per_s",
            raw.publish_consume_per_s,
            "msg/s",
            "raw: JetStream publish + consume",
        )
        figure(
            results, "raw_upsert_rows_per_s", raw.upsert_rows_per_s, "rows/s", "raw: asyncpg upsert"
        )

        used: set[tuple[str, str]] = set()

        def take(count: int) -> list[tuple[str, Any]]:
            taken = [next(pool) for _ in range(count)]
            used.update((code, period.label) for code, period in taken)
            return taken

        per_rollup = len(
            plan_national(
                registry, catalog, {"kl226-quarterly": newest["kl226-quarterly"]}, mix=Mix.clean()
            ).first
        )
        rollups_for_size = max(1, -(-size // per_rollup))
        e2e_plan = plan_rollups(registry, catalog, take(rollups_for_size), Mix.clean(), seed=11)
        e2e_plan = e2e_plan.limited(size)
        e2e_nats = asyncio.run(
            throughput(e2e_plan, target, concurrency=256, progress=lambda _: None)
        )
        figure(
            results,
            "e2e_nats_per_s",
            e2e_nats,
            "reports/s",
            f"e2e over NATS ({len(e2e_plan.first):,} reports)",
        )
        http_plan = plan_rollups(registry, catalog, take(1), Mix.clean(over_http=1.0), seed=12)
        http_plan = http_plan.limited(size // 4)
        e2e_http = asyncio.run(
            throughput(http_plan, target, concurrency=64, progress=lambda _: None)
        )
        figure(
            results,
            "e2e_http_per_s",
            e2e_http,
            "reports/s",
            f"e2e over HTTP intake ({len(http_plan.first):,} reports)",
        )

        fresh_plans = [
            plan_rollups(registry, catalog, take(1), Mix.clean(), seed=13 + n)
            for n in range(1 if quick else 2)
        ]
        fresh = asyncio.run(freshness(fresh_plans, target, rate=e2e_nats / 2))
        results["freshness_rate_per_s"] = round(fresh.rate, 1)
        figure(
            results, "freshness_p50_ms", fresh.p50_ms, "ms", f"freshness p50 at {fresh.rate:,.0f}/s"
        )
        figure(results, "freshness_p95_ms", fresh.p95_ms, "ms", "freshness p95")
        figure(results, "freshness_p99_ms", fresh.p99_ms, "ms", "freshness p99")

        burst_rollups = []
        for code in sorted(newest):
            candidate = next((c, p) for c, p in pool if c == code)
            burst_rollups.append(candidate)
        used.update((c, p.label) for c, p in burst_rollups)
        burst_plan = plan_national(registry, catalog, dict(burst_rollups), mix=Mix(), seed=99)
        national = asyncio.run(burst(burst_plan, target, catalog))
        results["burst_submissions"] = national.submissions
        results["burst_oracle_holds"] = not national.mismatches
        figure(
            results,
            "burst_s",
            national.seconds,
            "s",
            f"burst: national round, every type ({national.submissions:,})",
        )
        if national.mismatches:
            say("burst: ORACLE MISMATCH: " + "; ".join(national.mismatches[:5]))

        history = history_rollups(catalog, newest, used)
        loaded = asyncio.run(load_history(stack.database_url, registry, catalog, history, say))
        results["history_reports"] = loaded
        results["history_rollups"] = len(history) + len(used)
        central_paths = [f"/v1/rollups/{c}/{p.label}" for c, p in burst_rollups]
        province_paths = [f"/v1/rollups/{c}/{p.label}/01" for c, p in burst_rollups]
        reads = 200 if quick else 1000
        central = asyncio.run(read_latency(target.central_url, central_paths, reads))
        figure(results, "read_central_p50_ms", central.p50_ms, "ms", "read: Central rollup p50")
        figure(results, "read_central_p99_ms", central.p99_ms, "ms", "read: Central rollup p99")
        province = asyncio.run(read_latency(target.central_url, province_paths, reads))
        figure(
            results, "read_province_p50_ms", province.p50_ms, "ms", "read: province (Hà Nội) p50"
        )
        figure(
            results, "read_province_p99_ms", province.p99_ms, "ms", "read: province (Hà Nội) p99"
        )
    finally:
        stack.stop()

    scaled = _scaled_throughput(catalog, now, size, newest)
    figure(results, "scale_1x_per_s", e2e_nats, "reports/s", "scale: e2e with 3,321 communes")
    figure(results, "scale_10x_per_s", scaled, "reports/s", "scale: e2e with 33,210 communes")
    figure(
        results,
        "scale_loss_pct",
        100 * (1 - scaled / e2e_nats),
        "%",
        "scale: throughput loss at 10x",
    )
    results["e2e_raw_ratio"] = round(e2e_nats / raw.publish_consume_per_s, 3)
    results["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    say(f"figures as JSON: {args.json}")
    say(f"e2e/raw ratio: {results['e2e_raw_ratio']}")
    return 0


def _scaled_throughput(catalog: Catalog, now: datetime, size: int, newest: dict[str, Any]) -> float:
    base = registry_with([])
    extra = synthetic_communes(base, 10, now.date())
    registry = registry_with(extra)
    stack = Stack(Path(tempfile.mkdtemp(prefix="baocao-bench-10x-")), random_ports=True)
    try:
        say(f"starting a second system with {len(registry):,} units ...")
        stack.start(extra)
        plan = plan_rollups(
            registry,
            catalog,
            [("kl226-quarterly", newest["kl226-quarterly"])],
            Mix.clean(),
            seed=11,
        )
        plan = plan.limited(size)
        return asyncio.run(
            throughput(plan, Target.of(stack), concurrency=256, progress=lambda _: None)
        )
    finally:
        stack.stop()


__all__ = ["bench_command"]
