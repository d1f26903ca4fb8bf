"""The plan of a simulated national round: who sends what, in which wave, and the oracle's sums.

Every commune and province submits ``kl226-quarterly`` for one quarter, in waves placed on the
shared clock around the deadlines: most communes days before, stragglers on the last day after
their reminders, some late, some never. A few send invalid reports and correct them, some
correct valid ones, some send the same report twice, and a tenth publish straight onto NATS.
About one commune in a hundred sends its report on paper, which its province keys on its behalf.
Seven communes that would not otherwise report sit behind edges whose link is down across the
deadline (baocao/round_edges.py): those that signed on the last day are on time, those that
signed after it late.
The plan also keeps each unit's latest accepted values: the oracle, summed here without the
system's code, of what Central's rollup must be.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from baocao.load_values import kl226_values
from shared.catalog import Level, ReportType
from shared.periods import Period, start_of_day
from shared.registry import Registry, Unit
from shared.workdays import shift_working_days

REPORT_TYPE = "kl226-quarterly"
LATE_WAVES = frozenset({"edges_back", "late", "late_provinces"})
PAPER_REASON = "Xã gửi báo cáo giấy do mất kết nối mạng"
# One commune in about a hundred, chosen by its code so the rest of the round is unchanged.
PAPER_EVERY = 97
# Communes behind edges: chosen among those that would not report at all, so that a database
# kept from an earlier `make run` holds nothing of theirs.
EDGE_COMMUNES = 7


@dataclass
class Planned:
    unit: Unit
    body: dict[str, Any]
    # "http", "nats", "paper" (keyed by the province on the unit's behalf), or "edge" (published
    # to the commune's edge while its link is down)
    channel: str
    valid: bool
    kind: str  # "report", "invalid", "correction", "duplicate"


@dataclass
class Wave:
    key: str
    name: str
    at: datetime
    submissions: list[Planned] = field(default_factory=list)


@dataclass
class Plan:
    period: Period
    waves: list[Wave]
    final_values: dict[str, dict[str, Any]]
    final_on_time: dict[str, bool]

    def count(self, kind: str) -> int:
        return sum(1 for w in self.waves for p in w.submissions if p.kind == kind)

    def channel_count(self, channel: str) -> int:
        return sum(1 for w in self.waves for p in w.submissions if p.channel == channel)

    def edge_units(self) -> list[Unit]:
        return [p.unit for w in self.waves for p in w.submissions if p.channel == "edge"]


def plan_round(
    registry: Registry, report_type: ReportType, period: Period, seed: int = 2026
) -> Plan:
    rng = random.Random(seed)
    planner = _RoundPlanner(rng, report_type, period, _waves(report_type, period))
    day = period.cutoff_end
    communes = registry.units(Level.COMMUNE, day)
    for unit in communes:
        planner.commune(unit)
    silent = [u for u in communes if not planner.planned_for(u)]
    planner.behind_edges(silent[:: max(1, len(silent) // EDGE_COMMUNES)][:EDGE_COMMUNES], seed)
    provinces = registry.provinces(day)
    skipped = set(rng.sample([p.code for p in provinces], 2))
    late = set(rng.sample([p.code for p in provinces if p.code not in skipped], 3))
    for province in provinces:
        if province.code not in skipped:
            wave = "late_provinces" if province.code in late else "provinces"
            planner.add(wave, province, kl226_values(rng, 5))
    return Plan(period, list(planner.waves.values()), planner.final_values, planner.final_on_time)


def _waves(report_type: ReportType, period: Period) -> dict[str, Wave]:
    """The round's waves, by key, in the order they come, placed around the deadlines."""
    commune_deadline = report_type.deadline_for(Level.COMMUNE, period)
    province_deadline = report_type.deadline_for(Level.PROVINCE, period)
    assert commune_deadline is not None
    assert province_deadline is not None
    d_c, d_p = commune_deadline.date(), province_deadline.date()
    return {
        "main": Wave(
            "main",
            "communes, days before the deadline",
            start_of_day(d_c - timedelta(days=4)) + timedelta(hours=9),
        ),
        "reminded": Wave(
            "reminded",
            "reminders go out",
            start_of_day(d_c - timedelta(days=1)) + timedelta(hours=8),
        ),
        "last_day": Wave(
            "last_day",
            "stragglers and corrections on the last day",
            start_of_day(d_c) + timedelta(hours=15),
        ),
        "edges_back": Wave(
            "edges_back",
            "communes behind edges sign late; their link comes back",
            start_of_day(d_c + timedelta(days=1)) + timedelta(hours=8),
        ),
        "late": Wave(
            "late",
            "late communes; escalations to provinces",
            start_of_day(shift_working_days(d_c, 1)) + timedelta(hours=9),
        ),
        "central": Wave(
            "central",
            "Central hears which provinces are behind",
            start_of_day(shift_working_days(d_c, 3)) + timedelta(hours=9),
        ),
        "provinces": Wave(
            "provinces",
            "provinces, before their deadline",
            start_of_day(d_p - timedelta(days=1)) + timedelta(hours=9),
        ),
        "late_provinces": Wave(
            "late_provinces",
            "late provinces; escalations to Central",
            start_of_day(shift_working_days(d_p, 1)) + timedelta(hours=9),
        ),
    }


class _RoundPlanner:
    """Puts submissions into waves, drawing every choice from one random generator (so a seed
    gives the same round), and keeps each unit's latest valid values for the oracle."""

    def __init__(
        self, rng: random.Random, report_type: ReportType, period: Period, waves: dict[str, Wave]
    ) -> None:
        self.rng = rng
        self.report_type = report_type
        self.period = period
        self.waves = waves
        self.final_values: dict[str, dict[str, Any]] = {}
        self.final_on_time: dict[str, bool] = {}

    def commune(self, unit: Unit) -> None:
        """A few never report, a few are late; the rest send in the main wave or on the last
        day, some with noise (:meth:`_on_time`)."""
        roll = self.rng.random()
        if roll < 0.03:
            return
        if roll < 0.07:
            self.add("late", unit, kl226_values(self.rng, 1))
            return
        self._on_time(unit, "main" if roll < 0.85 else "last_day")

    def _on_time(self, unit: Unit, wave: str) -> None:
        """An invalid report corrected on the last day, a valid one corrected, the same one sent
        twice over HTTP, or one report."""
        rng = self.rng
        noise = rng.random()
        if noise < 0.03:
            broken = kl226_values(rng, 1)
            broken["conferences_online"] += 1
            self.add(wave, unit, broken, kind="invalid", valid=False)
            self.add("last_day", unit, kl226_values(rng, 1), kind="correction")
        elif noise < 0.06 and wave == "main":
            self.add(wave, unit, kl226_values(rng, 1))
            self.add("last_day", unit, kl226_values(rng, 1), kind="correction")
        elif noise < 0.08:
            first = self.add(wave, unit, kl226_values(rng, 1), channel="http")
            self.add(
                "last_day", unit, first["values"], kind="duplicate", channel="http", same_as=first
            )
        else:
            self.add(wave, unit, kl226_values(rng, 1))

    def planned_for(self, unit: Unit) -> bool:
        return any(p.unit.code == unit.code for w in self.waves.values() for p in w.submissions)

    def behind_edges(self, units: list[Unit], seed: int) -> None:
        """Put ``units`` behind edges: each sends one report to its edge, alternately on the
        last day and after the deadline. Drawn from a generator of their own, after the rest,
        so the other units' reports and ids are those of a round without edges (a database
        kept from an earlier `make run` holds them)."""
        for index, unit in enumerate(units):
            rng = random.Random(f"{seed}-edge-{unit.code}")
            key = "last_day" if index % 2 == 0 else "edges_back"
            values = kl226_values(rng, 1)
            body: dict[str, Any] = {
                "submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "report_type": self.report_type.code,
                "period": self.period.label,
                "unit": unit.code,
                "values": values,
            }
            self.waves[key].submissions.append(Planned(unit, body, "edge", True, "report"))
            self.final_values[unit.code] = values
            self.final_on_time[unit.code] = key not in LATE_WAVES

    def add(
        self,
        wave: str,
        unit: Unit,
        values: dict[str, Any],
        kind: str = "report",
        valid: bool = True,
        channel: str | None = None,
        same_as: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Plan one submission (``same_as``: exactly the body of an earlier one); its body."""
        chosen = channel or ("nats" if self.rng.random() < 0.1 else "http")
        if channel is None and chosen == "http" and kind == "report" and _on_paper(unit):
            chosen = "paper"
        sent = same_as or self._body(unit, values)
        self.waves[wave].submissions.append(Planned(unit, sent, chosen, valid, kind))
        if valid:
            self.final_values[unit.code] = sent["values"]
            self.final_on_time[unit.code] = wave not in LATE_WAVES
        return sent

    def _body(self, unit: Unit, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "submission_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "report_type": self.report_type.code,
            "period": self.period.label,
            "unit": unit.code,
            "values": values,
        }


def _on_paper(unit: Unit) -> bool:
    return unit.level == Level.COMMUNE and int(unit.code) % PAPER_EVERY == 0


def keyed_by_province(unit: Unit) -> dict[str, str]:
    """The mark of a paper report its province's clerk keys (docs/keyed-on-behalf.md)."""
    province = unit.province or ""
    return {"unit": province, "person": paper_clerk(province), "reason": PAPER_REASON}


def paper_clerk(province: str) -> str:
    return f"person:vanthu-{province}"


def oracle_totals(plan: Plan) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for values in plan.final_values.values():
        for code, value in values.items():
            totals[code] = totals.get(code, Decimal(0)) + Decimal(str(value))
    return totals
