"""National load: every unit, every report type, with the noise real rounds have, and an oracle.

The plan is made up front and sent in two waves: first every unit's report (some of them
invalid), then, once all of those hold a receipt, the corrections and exact re-sends. That order
is what makes the oracle independent of timing: the latest accepted report of each unit is the
last one the plan gives it.

The oracle (:mod:`baocao.load_oracle`) is computed with plain Decimal arithmetic from the plan,
never with the system's code, and compared with what the Central read API says for every
province and the nation. The figures are made up by :mod:`baocao.load_values`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from baocao.load_oracle import Oracle
from baocao.load_values import (
    BREAKERS,
    SYNTHETIC_CODES_FROM,
    VALUE_MAKERS,
    kl226_values,
    lg2_values,
    synthetic_communes,
    values_for,
)
from baocao.planned import Planned, encode
from shared.catalog import Catalog, Level
from shared.periods import Period
from shared.registry import Registry, Unit


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


# The made-up figures, the planned submission and the oracle stay importable from here.
__all__ = [
    "BREAKERS",
    "SYNTHETIC_CODES_FROM",
    "VALUE_MAKERS",
    "LoadPlan",
    "Mix",
    "Oracle",
    "Planned",
    "encode",
    "kl226_values",
    "latest_open_periods",
    "lg2_values",
    "plan_national",
    "synthetic_communes",
    "values_for",
]
