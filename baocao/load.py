"""National load: every unit, every report type, with the noise real rounds have, and an oracle.

The plan is made up front and sent in two waves: first every unit's report (some of them
invalid), then, once all of those hold a receipt, the corrections and exact re-sends. That order
is what makes the oracle independent of timing: the latest accepted report of each unit is the
last one the plan gives it.

The oracle is computed here with plain Decimal arithmetic from the plan, never with the
system's code, and compared with what the Central read API says for every province and the
nation.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.catalog import Catalog, Level, ReportType
from shared.catalog.model import Aggregation
from shared.periods import Period
from shared.registry import Registry, Unit

if TYPE_CHECKING:
    from baocao.unit_keys import UnitKeys

SYNTHETIC_CODES_FROM = 40000


def kl226_values(rng: random.Random, scale: int) -> dict[str, Any]:
    prev = rng.randint(150, 600) * scale
    total_conferences = rng.randint(8, 40) * scale
    in_person = round(total_conferences * rng.uniform(0.2, 0.55))
    procedures = rng.randint(400, 5000) * scale
    reports = rng.randint(15, 60) * scale
    planned = Decimal(rng.randint(5000, 30000) * scale) / 100
    return {
        "docs_issued": round(prev * rng.uniform(0.7, 1.0)),
        "docs_issued_prev_year": prev,
        "conferences_total": total_conferences,
        "conferences_in_person": in_person,
        "conferences_online": total_conferences - in_person,
        "conferences_over_duration": rng.randint(0, total_conferences // 5),
        "procedures_total": procedures,
        "procedures_online": round(procedures * rng.uniform(0.85, 1.0)),
        "reports_total": reports,
        "reports_over_network": round(reports * rng.uniform(0.9, 1.0)),
        "conference_budget_planned": planned,
        "conference_budget_spent": (
            planned * Decimal(str(round(rng.uniform(0.8, 1.12), 2)))
        ).quantize(Decimal("0.01")),
    }


def lg2_values(rng: random.Random, scale: int) -> dict[str, Any]:
    positions = rng.randint(30, 60) * scale
    received = rng.randint(200, 3000) * scale
    return {
        "staff_positions": positions,
        "staff_in_post": positions - rng.randint(0, 5),
        "key_posts_vacant": rng.randint(0, 2),
        "training_sessions": rng.randint(0, 6),
        "staff_trained": rng.randint(0, 80) * scale,
        "procedures_received": received,
        "procedures_on_time": round(received * rng.uniform(0.9, 1.0)),
        "procedures_online": round(received * rng.uniform(0.8, 1.0)),
        "procedures_non_territorial": round(received * rng.uniform(0.0, 0.2)),
        "digital_signatures_issued": rng.randint(0, 40) * scale,
        "vacant_buildings": rng.randint(0, 3),
        "citizen_satisfaction_pct": Decimal(rng.randint(7000, 10000)) / 100,
    } | _optional_lg2_values(rng)


def _optional_lg2_values(rng: random.Random) -> dict[str, Any]:
    """The figures a unit may leave out: about half give their bandwidth and slowest case,
    one in ten had an outage."""
    values: dict[str, Any] = {}
    if rng.random() < 0.5:
        values["bandwidth_mbps"] = Decimal(rng.randint(20, 3000)) / 10
        values["longest_resolution_days"] = Decimal(rng.randint(10, 600)) / 10
    if rng.random() < 0.1:
        values["network_outage_hours"] = Decimal(rng.randint(1, 480)) / 10
    return values


VALUE_MAKERS = {"kl226-quarterly": kl226_values, "lg2-monthly": lg2_values}

# An invalid variant of each report type: a rule broken on purpose.
BREAKERS: dict[str, tuple[str, int]] = {
    "kl226-quarterly": ("conferences_online", 1),
    "lg2-monthly": ("staff_in_post", 1000),
}


def values_for(report_type: str, rng: random.Random, scale: int = 1) -> dict[str, Any]:
    return VALUE_MAKERS[report_type](rng, scale)


def synthetic_communes(registry: Registry, factor: int, on: date) -> list[Unit]:
    """Enough made-up communes, spread over the 34 provinces, to make the country ``factor``
    times as large. Their codes start at 40000, above every real commune code."""
    real = registry.units(Level.COMMUNE, on)
    provinces = registry.provinces(on)
    extra = len(real) * (factor - 1)
    return [
        Unit(
            code=f"{SYNTHETIC_CODES_FROM + i:05d}",
            name=f"Xã Mô Phỏng {i + 1}",
            level=Level.COMMUNE,
            kind="xã",
            parent=provinces[i % len(provinces)].code,
            valid_from=min(u.valid_from for u in real),
        )
        for i in range(extra)
    ]


@dataclass(frozen=True)
class Planned:
    unit: Unit
    report_type: str
    period: str
    values: Mapping[str, Any]
    submission_id: str
    kind: str  # report, invalid, correction, duplicate
    valid: bool
    channel: str  # nats or http

    @property
    def province(self) -> str:
        return self.unit.province or "_"

    def body(self, keys: UnitKeys | None = None) -> bytes:
        """The bytes a local system sends, signed with the unit's key in ``keys`` if it has
        one there."""
        document = {
            "submission_id": self.submission_id,
            "report_type": self.report_type,
            "period": self.period,
            "unit": self.unit.code,
            "values": dict(self.values),
        }
        return encode(keys.signed(self.unit.code, document) if keys is not None else document)


def encode(document: Mapping[str, Any]) -> bytes:
    # A Decimal goes out as its shortest float text, which for two decimal places is exact.
    return json.dumps(
        document, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)
    ).encode()


def _figures(report_type: ReportType, reports: list[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Each indicator's figure over ``reports``, straight from the definition of its type;
    an indicator nobody reported has no figure."""
    figures: dict[str, Decimal] = {}
    for indicator in report_type.indicators:
        code, kind = indicator.code, indicator.aggregation
        given = [r for r in reports if r.get(code) is not None]
        if kind == Aggregation.WEIGHTED_MEAN:
            given = [r for r in given if r.get(indicator.weight or "") is not None]
        if not given:
            continue
        numbers = [Decimal(str(r[code])) for r in given]
        if kind == Aggregation.MEAN:
            figures[code] = sum(numbers, Decimal(0)) / len(numbers)
        elif kind == Aggregation.WEIGHTED_MEAN:
            weights = [Decimal(str(r[indicator.weight or ""])) for r in given]
            total = sum(weights, Decimal(0))
            if total:
                weighted = sum((v * w for v, w in zip(numbers, weights, strict=True)), Decimal(0))
                figures[code] = weighted / total
        elif kind == Aggregation.MIN:
            figures[code] = min(numbers)
        elif kind == Aggregation.MAX:
            figures[code] = max(numbers)
        elif kind == Aggregation.COUNT:
            figures[code] = Decimal(len(numbers))
        else:  # sum, and last: one period's stocks add up across units
            figures[code] = sum(numbers, Decimal(0))
    return figures


@dataclass
class Oracle:
    """The latest valid values of every (report type, period, unit), and what they add up to."""

    final: dict[tuple[str, str, str], tuple[str, Mapping[str, Any]]] = field(default_factory=dict)

    def record(self, planned: Planned) -> None:
        if planned.valid:
            key = (planned.report_type, planned.period, planned.unit.code)
            self.final[key] = (planned.province, planned.values)

    def rollups(self) -> set[tuple[str, str]]:
        return {(rt, period) for rt, period, _ in self.final}

    def submitted(self, report_type: str, period: str) -> int:
        return sum(1 for rt, p, _ in self.final if (rt, p) == (report_type, period))

    def expected(
        self, report_type: ReportType, period: str
    ) -> tuple[dict[str, dict[str, Decimal]], dict[str, int], dict[str, Decimal]]:
        """Per province, each indicator's figure; per province, reports counted; Central's figures."""
        by_province: dict[str, list[Mapping[str, Any]]] = {}
        for (rt, p, _), (province, values) in self.final.items():
            if (rt, p) == (report_type.code, period):
                by_province.setdefault(province, []).append(values)
        everyone = [values for reports in by_province.values() for values in reports]
        return (
            {p: _figures(report_type, reports) for p, reports in by_province.items()},
            {p: len(reports) for p, reports in by_province.items()},
            _figures(report_type, everyone),
        )

    def mismatches(
        self, report_type: ReportType, period: str, central: Mapping[str, Any]
    ) -> list[str]:
        """Every way Central's answer differs from the oracle; empty when they agree."""
        by_province, submitted, national = self.expected(report_type, period)
        found: list[str] = []
        label = f"{report_type.code} {period}"

        def compare(where: str, actual: Mapping[str, Any], expected: Mapping[str, Decimal]) -> None:
            for code in {*expected, *(c for c, v in actual.items() if v is not None)}:
                have, want = actual.get(code), expected.get(code)
                if have is None or want is None or abs(Decimal(str(have)) - want) > Decimal("1e-4"):
                    found.append(f"{label} {where} {code}: system {have}, oracle {want}")

        compare("Central", central["values"], national)
        total = sum(submitted.values())
        if central["completeness"]["submitted"] != total:
            found.append(
                f"{label} Central submitted: system {central['completeness']['submitted']}, oracle {total}"
            )
        for child in central["children"]:
            compare(child["unit"], child["values"], by_province.get(child["unit"], {}))
            want = submitted.get(child["unit"], 0)
            if child["completeness"]["submitted"] != want:
                found.append(
                    f"{label} {child['unit']} submitted: system {child['completeness']['submitted']}, oracle {want}"
                )
        return found


@dataclass
class LoadPlan:
    first: list[Planned]
    second: list[Planned]
    oracle: Oracle

    @property
    def all(self) -> list[Planned]:
        return self.first + self.second

    def count(self, kind: str) -> int:
        return sum(1 for p in self.all if p.kind == kind)

    def expected_counts(self) -> dict[tuple[str, str], int]:
        """Reports Central must count per (report type, period), in the order the plan first
        reaches each rollup, so a watcher can poll the one that should complete first."""
        first_seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(self.all):
            first_seen.setdefault((item.report_type, item.period), index)
        rollups = sorted(self.oracle.rollups(), key=first_seen.__getitem__)
        return {key: self.oracle.submitted(*key) for key in rollups}

    def limited(self, size: int) -> LoadPlan:
        """The first ``size`` reports and no second wave, with the oracle to match."""
        first = self.first[:size]
        oracle = Oracle()
        for item in first:
            oracle.record(item)
        return LoadPlan(first, [], oracle)


@dataclass(frozen=True)
class Mix:
    """How a round misbehaves, as fractions of the units that report."""

    missing: float = 0.03
    invalid: float = 0.03
    corrections: float = 0.03
    duplicates: float = 0.02
    over_http: float = 0.0

    @classmethod
    def clean(cls, over_http: float = 0.0) -> Mix:
        return cls(0.0, 0.0, 0.0, 0.0, over_http)


def plan_national(
    registry: Registry,
    catalog: Catalog,
    periods: Mapping[str, Period],
    *,
    mix: Mix = Mix(),
    seed: int = 2026,
    provinces: Iterable[str] | None = None,
) -> LoadPlan:
    """Every unit that must report each type in ``periods`` (limited to ``provinces`` if
    given), in a shuffled order, with ``mix`` deciding who is missing or noisy."""
    rng = random.Random(seed)
    only = set(provinces) if provinces is not None else None
    first: list[Planned] = []
    second: list[Planned] = []
    oracle = Oracle()

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    for code, period in sorted(periods.items()):
        report_type = catalog.report_types[code]
        day = period.cutoff_end
        units = [
            u
            for p in registry.provinces(day)
            if only is None or p.code in only
            for u in registry.expected_in_province(p.code, report_type.submitting_levels(), day)
        ]
        for unit in units:
            scale = 5 if unit.level == Level.PROVINCE else 1

            def planned(
                values: Mapping[str, Any],
                kind: str,
                valid: bool = True,
                unit: Unit = unit,
                code: str = code,
                label: str = period.label,
            ) -> Planned:
                channel = "http" if rng.random() < mix.over_http else "nats"
                return Planned(unit, code, label, values, new_id(), kind, valid, channel)

            roll = rng.random()
            if roll < mix.missing:
                continue
            roll -= mix.missing
            if roll < mix.invalid:
                broken = dict(values_for(code, rng, scale))
                field_name, excess = BREAKERS[code]
                broken[field_name] += excess
                first.append(planned(broken, "invalid", valid=False))
                second.append(planned(values_for(code, rng, scale), "correction"))
                continue
            roll -= mix.invalid
            report = planned(values_for(code, rng, scale), "report")
            first.append(report)
            if roll < mix.corrections:
                second.append(planned(values_for(code, rng, scale), "correction"))
            elif roll < mix.corrections + mix.duplicates:
                second.append(replace(report, kind="duplicate"))
    rng.shuffle(first)
    rng.shuffle(second)
    for item in first + second:
        oracle.record(item)
    return LoadPlan(first, second, oracle)


def latest_open_periods(catalog: Catalog, now: datetime, back: int = 0) -> dict[str, Period]:
    """For each report type, the newest period open at ``now``, stepped ``back`` periods."""
    chosen: dict[str, Period] = {}
    for code, report_type in catalog.report_types.items():
        period = Period.containing(now.date(), report_type.periodicity)
        while period.opens_at() > now:
            period = period.shifted(-1)
        chosen[code] = period.shifted(-back)
    return chosen
