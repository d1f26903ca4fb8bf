"""`baocao profile`: where the CPU goes on the e2e path, per process and per report.

Runs the e2e-over-NATS load once and reads each process's CPU time from /proc before and after:
the four services, nats-server, every PostgreSQL backend, and this driver. With ``--spy`` it also
records py-spy profiles of the validator and the aggregator (collapsed stacks, for flame graphs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from baocao.bench.catalog import benchmark_environment
from baocao.bench.pipeline import plan_rollups, rollups_newest_first, throughput
from baocao.load import Mix, latest_open_periods, synthetic_communes
from baocao.simulate import Target, registry_with
from baocao.stack import Stack
from baocao.watching import wait_quiet
from shared.catalog import Catalog
from shared.periods import VIETNAM

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def snapshot(stack: Stack) -> dict[str, float]:
    assert stack.nats is not None
    assert stack.nats.process is not None
    assert stack.postgres is not None
    assert stack.postgres.process is not None
    postmaster = stack.postgres.process.pid
    times = {name: cpu_seconds(p.pid) for name, p in stack.children.items()}
    times["nats-server"] = cpu_seconds(stack.nats.process.pid)
    times["postgres"] = sum(cpu_seconds(p) for p in [postmaster, *children_of(postmaster)])
    times["load generator"] = cpu_seconds(os.getpid())
    return times


def profile_command(args: argparse.Namespace) -> int:
    catalog = Catalog.load()
    now = datetime.now(VIETNAM)
    extra = synthetic_communes(registry_with([]), args.scale, now.date()) if args.scale > 1 else []
    registry = registry_with(extra)
    newest = latest_open_periods(catalog, now)
    rollups = rollups_newest_first(catalog, registry, newest)
    count: int = args.reports
    run_dir = Path(tempfile.mkdtemp(prefix="baocao-profile-"))
    stack = Stack(run_dir, benchmark_environment(run_dir), random_ports=True)
    try:
        print("starting the system ...", flush=True)
        stack.start(extra)
        asyncio.run(wait_quiet(stack.url("notifier"), headers=Target.of(stack).central_headers))
        per_rollup = len(registry) - 1
        plan = plan_rollups(
            registry,
            catalog,
            [next(rollups) for _ in range(-(-count // per_rollup))],
            Mix.clean(),
            seed=5,
        ).limited(count)
        spies = []
        if args.spy:
            for name in ("validator", "aggregator"):
                output = Path(args.spy) / f"{name}.collapsed"
                output.parent.mkdir(parents=True, exist_ok=True)
                spies.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).parent / "py-spy"),
                            "record",
                            "--duration",
                            str(max(3, count // 2500)),
                            "--rate",
                            "200",
                            "--format",
                            "raw",
                            "--output",
                            str(output),
                            "--pid",
                            str(stack.children[name].pid),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
        before = snapshot(stack)
        started = time.perf_counter()
        rate = asyncio.run(
            throughput(plan, Target.of(stack), concurrency=256, progress=lambda _: None)
        )
        wall = time.perf_counter() - started
        after = snapshot(stack)
        for spy in spies:
            spy.wait()
    finally:
        stack.stop()
    used = {name: after[name] - before[name] for name in before}
    total = sum(used.values())
    print(f"e2e over NATS: {count:,} reports at {rate:,.0f}/s in {wall:.1f} s")
    print(f"CPU used: {total:.1f} s of {wall * (os.cpu_count() or 1):.1f} s available")
    print(f"{'process':<16} {'CPU s':>7} {'µs/report':>10} {'share':>6}")
    for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
        print(
            f"{name:<16} {seconds:>7.2f} {1e6 * seconds / count:>10,.0f} {100 * seconds / total:>5.0f}%"
        )
    print(f"{'all':<16} {total:>7.2f} {1e6 * total / count:>10,.0f}")
    if args.spy:
        print(
            f"py-spy profiles (collapsed stacks): {args.spy}/validator.collapsed, aggregator.collapsed"
        )
    return 0
