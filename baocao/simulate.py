"""`baocao simulate`: a national round of every report type, checked against the oracle."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from baocao.load import LoadPlan, Mix, latest_open_periods, plan_national, synthetic_communes
from baocao.nats_identities import NatsIdentities
from baocao.sending import Sender
from baocao.stack import Stack
from baocao.watching import wait_drained, wait_for_central
from shared.catalog import Catalog
from shared.identity import CENTRAL, Role
from shared.identity.issuer import LocalIssuer
from shared.periods import VIETNAM, Period
from shared.registry import Registry, Unit
from shared.registry.seed import units_from_package


@dataclass
class Target:
    nats_url: str
    intake_url: str
    central_url: str
    issuer: LocalIssuer
    nats: NatsIdentities

    @classmethod
    def of(cls, stack: Stack) -> Target:
        return cls(
            stack.nats_url,
            stack.url("intake"),
            stack.url("aggregator"),
            stack.issuer,
            stack.nats_identities,
        )

    @property
    def ops(self) -> dict[str, Any]:
        """How the tool itself connects to NATS: as ops, like an operator watching."""
        return self.nats.options("ops")

    @property
    def central_headers(self) -> dict[str, str]:
        """Central Office's reader, as the ministry system that checks the national table."""
        return self.issuer.headers(CENTRAL, [Role.READER])


@dataclass
class SimulationResult:
    plan: LoadPlan
    seconds: float
    retries: int
    refused: int
    mismatches: list[str]

    @property
    def holds(self) -> bool:
        return not self.mismatches and not self.refused

    def summary(self) -> str:
        plan = self.plan
        sent = len(plan.all)
        lines = [
            f"sent {sent:,} submissions in {self.seconds:.1f} s ({sent / self.seconds:,.0f}/s to final rollups): "
            f"{plan.count('invalid')} invalid, {plan.count('correction')} corrections, "
            f"{plan.count('duplicate')} duplicates; {self.retries} retries; {self.refused} refused",
            f"units counted: {len(plan.oracle.final):,} across {len(plan.oracle.rollups())} rollups",
        ]
        if self.mismatches:
            lines.append(f"Oracle MISMATCH ({len(self.mismatches)}):")
            lines.extend(f"  {m}" for m in self.mismatches[:20])
        else:
            lines.append(
                "Oracle: every province and Central equal the independent sums. "
                "Nothing lost, nothing counted twice."
            )
        return "\n".join(lines)


def registry_with(extra: Iterable[Unit]) -> Registry:
    return Registry([*units_from_package(), *extra])


async def run_load(
    plan: LoadPlan,
    target: Target,
    catalog: Catalog,
    *,
    concurrency: int = 64,
    progress: Callable[[str], None] | None = None,
    timeout: float = 900,
) -> SimulationResult:
    started = time.monotonic()
    async with Sender(
        nats_url=target.nats_url,
        intake_url=target.intake_url,
        issuer=target.issuer,
        identities=target.nats,
        concurrency=concurrency,
        progress=progress,
    ) as sender:
        await sender.send(plan.first, "reports")
        await sender.send(plan.second, "corrections and re-sends")
    await wait_for_central(
        target.central_url,
        plan.expected_counts(),
        headers=target.central_headers,
        timeout=timeout,
        progress=progress,
    )
    await wait_drained(target.nats_url, target.ops, timeout=timeout)
    seconds = time.monotonic() - started
    mismatches = await check_oracle(plan, target.central_url, catalog, target.central_headers)
    return SimulationResult(
        plan, seconds, sender.outcome.retries, len(sender.outcome.refused), mismatches
    )


async def check_oracle(
    plan: LoadPlan, central_url: str, catalog: Catalog, headers: Mapping[str, str]
) -> list[str]:
    found: list[str] = []
    async with httpx.AsyncClient(base_url=central_url, timeout=30, headers=headers) as client:
        for report_type, period in sorted(plan.oracle.rollups()):
            response = await client.get(f"/v1/rollups/{report_type}/{period}")
            response.raise_for_status()
            central: dict[str, Any] = response.json()
            found.extend(plan.oracle.mismatches(catalog.report_types[report_type], period, central))
    return found


def simulate_command(
    *,
    scale: int,
    over_http: float,
    seed: int,
    start: bool,
    target: Target | None,
    say: Callable[[str], None],
) -> int:
    catalog = Catalog.load()
    now = datetime.now(VIETNAM)
    periods: dict[str, Period] = latest_open_periods(catalog, now)
    base = registry_with([])
    extra = synthetic_communes(base, scale, now.date()) if scale > 1 else []
    registry = registry_with(extra) if extra else base
    plan = plan_national(registry, catalog, periods, mix=Mix(over_http=over_http), seed=seed)
    say(
        f"plan: {len(plan.all):,} submissions for "
        + ", ".join(f"{rt} {p.label}" for rt, p in sorted(periods.items()))
        + f" from {len(registry):,} units"
    )
    stack: Stack | None = None
    try:
        if start:
            stack = Stack(
                Path(tempfile.mkdtemp(prefix="baocao-simulate-")), random_ports=True, say=say
            )
            stack.start(extra)
            target = Target.of(stack)
        assert target is not None
        result = asyncio.run(run_load(plan, target, catalog, progress=say))
    finally:
        if stack is not None:
            stack.stop()
    say(result.summary())
    return 0 if result.holds else 1
