"""What a simulated round reports: its tallies read back from NATS, the oracle's check, a summary.

Central's national rollup is compared with the oracle (:func:`baocao.round_plan.oracle_totals`,
the latest accepted values summed without the system's code), and the summary prints what was
sent, what was refused, which notices went out, and what Central now shows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import nats

from baocao.round_plan import REPORT_TYPE, Plan, oracle_totals
from shared import subjects
from shared.periods import Period


@dataclass
class RoundResult:
    plan: Plan
    national: dict[str, Any]
    rejected: Counter[str]
    notices: Counter[str]
    mismatches: list[str]
    receipts: int
    retries: int = 0
    systems: tuple[int, int] = (0, 0)  # over NATS: province platforms, communes' own systems
    signed: int = 0
    # Reports through edges cut across the deadline, by (timeliness, what it was counted from).
    edges: Counter[tuple[str, str]] | None = None

    @property
    def oracle_holds(self) -> bool:
        return not self.mismatches


async def tallies(js: Any, period: Period) -> tuple[Counter[str], Counter[str]]:
    """Rejection reasons and notices (by stage and level) of the round's ``period``, read back
    from the streams."""
    rejected: Counter[str] = Counter()
    notices: Counter[str] = Counter()
    # A verdict is published again when its submission is redelivered or re-sent (and the
    # stream keeps earlier rounds run in the same .run directory): count each one once.
    seen: set[str] = set()
    for subject, counter, stream in (
        (f"{subjects.REJECTED}.>", rejected, subjects.REPORTS_STREAM),
        (f"{subjects.NOTIFY}.>", notices, subjects.NOTIFY_STREAM),
    ):
        subscription = await js.subscribe(subject, stream=stream, ordered_consumer=True)
        try:
            while True:
                try:
                    message = await subscription.next_msg(timeout=1)
                except (TimeoutError, nats.errors.TimeoutError):
                    break
                event = json.loads(message.data)
                if event.get("period") != period.label:
                    continue
                key = f"{subject}:{event.get('notice_id') or event.get('submission_id')}"
                if key in seen:
                    continue
                seen.add(key)
                if counter is rejected:
                    for reason in event["reasons"]:
                        counter[reason["code"]] += 1
                elif "channel" not in event:  # a notice, not a dead-letter event
                    counter[f"{event['stage']}:{event.get('level')}"] += 1
        finally:
            await subscription.unsubscribe()
    return rejected, notices


def oracle_mismatches(plan: Plan, national: dict[str, Any]) -> list[str]:
    """Every way Central's national rollup differs from the oracle; empty when they agree."""
    mismatches = []
    for code, expected in oracle_totals(plan).items():
        actual = national["values"].get(code)
        if actual is None or abs(Decimal(str(actual)) - expected) > Decimal("0.0001"):
            mismatches.append(f"{code}: Central has {actual}, the oracle {expected}")
    completeness = national["completeness"]
    if completeness["submitted"] != len(plan.final_values):
        mismatches.append(
            f"submitted: Central has {completeness['submitted']}, the oracle {len(plan.final_values)}"
        )
    on_time = sum(plan.final_on_time.values())
    if completeness["on_time"] != on_time:
        mismatches.append(f"on time: Central has {completeness['on_time']}, the oracle {on_time}")
    return mismatches


def _audience(notices: Counter[str], audience: str, level: str | None = None) -> int:
    """Notices of the reminder policy's steps for one audience (stages ``unit-3``, ``parent+1``),
    about one level's deadline or any."""
    return sum(
        n
        for key, n in notices.items()
        if key.startswith(audience) and (level is None or key.endswith(f":{level}"))
    )


def _edge_lines(result: RoundResult) -> list[str]:
    if not result.edges:
        return []
    judged = result.edges
    by_signed = sum(n for (_, basis), n in judged.items() if basis == "signed")
    on_time = sum(n for (timeliness, _), n in judged.items() if timeliness == "on_time")
    late = sum(n for (timeliness, _), n in judged.items() if timeliness == "late")
    return [
        f"  {sum(judged.values())} reports through {len(result.plan.edge_units())} communes'"
        f" edges, their link cut from the day before the deadline until after it:"
        f" {on_time} judged on time, {late} late; {by_signed} counted from their signed time"
        " inside a silence the hub recorded"
    ]


def summary(result: RoundResult) -> str:
    plan, national = result.plan, result.national
    c = national["completeness"]
    lines = [
        f"Simulated round: {REPORT_TYPE} {plan.period.label}",
        f"  sent {sum(len(w.submissions) for w in plan.waves):,} submissions "
        f"({plan.count('invalid')} invalid, {plan.count('correction')} corrections, "
        f"{plan.count('duplicate')} duplicates); receipts {result.receipts:,};"
        f" {result.retries:,} sends retried",
        f"  rejected: {', '.join(f'{k} {v}' for k, v in result.rejected.most_common()) or 'none'}",
        f"  on NATS through {result.systems[0]} province platforms and {result.systems[1]}"
        f" communes' own systems, each with its own credentials; {result.signed:,} reports"
        " signed by their unit's key",
        f"  {plan.channel_count('paper'):,} paper reports keyed by their province on the"
        " commune's behalf, each marked with the clerk and the reason",
        *_edge_lines(result),
        f"  notices on NATS: {_audience(result.notices, 'unit'):,} reminders,"
        f" {_audience(result.notices, 'parent', 'commune'):,} province digests,"
        f" {_audience(result.notices, 'parent', 'province') + _audience(result.notices, 'central'):,}"
        f" Central digests, {_audience(result.notices, 'rejection'):,} rejection notices",
        "",
        f"National completeness: expected {c['expected']:,} · submitted {c['submitted']:,} ({c['rate_pct']}%)"
        f" · on time {c['on_time']:,} · late {c['late']:,} · missing {c['missing']:,}",
        "",
        "Derived indicators at Central, against the Conclusion 226 targets:",
    ]
    for code, entry in national["derived"].items():
        met = {True: "met", False: "MISSED", None: "no data"}[entry.get("met")]
        value = entry["value"]
        shown = f"{value:,.2f}" if isinstance(value, int | float) else "n/a"
        lines.append(f"  {code:<26} {shown:>12}   target {entry.get('target', '-'):<8} {met}")
    provinces = national["children"]
    lines.append("")
    lines.append("Provinces meeting each target:")
    for code in national["derived"]:
        meeting = sum(1 for p in provinces if p["derived"][code].get("met") is True)
        lines.append(f"  {code:<26} {meeting:>3} of {len(provinces)}")
    lowest = sorted(provinces, key=lambda p: p["completeness"]["rate_pct"] or 0)[:3]
    lines.append(
        "Lowest completeness: "
        + "; ".join(f"{p['name']} {p['completeness']['rate_pct']}%" for p in lowest)
    )
    lines.append("")
    if result.oracle_holds:
        lines.append(
            "Oracle: Central's totals and completeness equal the independent sum of the "
            "latest accepted reports. Nothing lost, nothing counted twice."
        )
    else:
        lines.append("Oracle MISMATCH:")
        lines.extend(f"  {m}" for m in result.mismatches)
    return "\n".join(lines)
