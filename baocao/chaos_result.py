"""What a chaos run reports: its disruptions, tallies and durations, and each guarantee checked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from baocao.chaos_disruptions import Disruption
from baocao.load import LoadPlan
from baocao.service_specs import SERVICE_NAMES


@dataclass
class ChaosResult:
    """What a chaos run did and found: the disruptions, the sender's tallies, the durations,
    and each check's problems (none when the guarantee held)."""

    plan: LoadPlan
    periods: list[str]
    disruptions: list[Disruption]
    receipts: int
    refused: dict[str, int]
    retries: int
    redelivered: dict[str, int]
    unexpected_exits: list[str]
    seconds: dict[str, float]
    failures: dict[str, list[str]]
    run_dir: Path

    @property
    def kills(self) -> Counter[str]:
        return Counter(d.target for d in self.disruptions if d.kind == "kill")

    def restarts(self, kind: str) -> int:
        return sum(1 for d in self.disruptions if d.kind == kind)

    def kills_in(self, phase: str) -> int:
        return sum(1 for d in self.disruptions if d.kind == "kill" and d.phase == phase)

    @property
    def holds(self) -> bool:
        return not any(self.failures.values())

    def summary(self) -> str:
        plan, seconds = self.plan, self.seconds
        over_http = sum(1 for p in plan.all if p.channel == "http")
        kills = self.kills
        lines = [
            f"round: {len(plan.all):,} submissions for {', '.join(self.periods)}"
            f" ({plan.count('report'):,} reports, {plan.count('invalid')} invalid,"
            f" {plan.count('correction')} corrections, {plan.count('duplicate')} duplicates;"
            f" {over_http:,} over HTTP, {len(plan.all) - over_http:,} straight onto NATS)",
            f"kills: {sum(kills.values())} SIGKILLs ("
            + ", ".join(f"{name} {kills[name]}" for name in SERVICE_NAMES)
            + f"; {self.kills_in('sending')} while sending, {self.kills_in('backlog')} during"
            f" the backlog); nats-server restarted {self.restarts('nats')}x,"
            f" PostgreSQL restarted {self.restarts('postgres')}x",
            f"sender: {self.receipts:,} receipts, {len(self.refused)} refused,"
            f" {self.retries:,} retries; redelivered: "
            + ", ".join(f"{name} {count:,}" for name, count in self.redelivered.items()),
            f"durations: start {seconds['start']:.1f} s, sending {seconds['sending']:.1f} s,"
            f" backlog chaos {seconds['backlog']:.1f} s, recovery {seconds['recovery']:.1f} s"
            f" (last disruption to settled), total {seconds['total']:.1f} s",
        ]
        for check, problems in self.failures.items():
            lines.append(f"  {'FAIL' if problems else 'ok  '} {CHECKS[check]}")
            lines.extend(f"       {p}" for p in problems[:20])
            if len(problems) > 20:
                lines.append(f"       ... and {len(problems) - 20} more")
        lines.append(
            "RESULT: every guarantee held"
            if self.holds
            else f"RESULT: FAILED (logs in {self.run_dir / 'logs'})"
        )
        return "\n".join(lines)


CHECKS = {
    "oracle": "counted exactly once: every province and Central equal the oracle",
    "statuses": "every receipt has its final verdict (in PostgreSQL and over HTTP)",
    "consumers": "nothing stuck: no message pending, unacknowledged or dead-lettered",
    "services": "no service died unless killed; the planned disruptions happened",
}
