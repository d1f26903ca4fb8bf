"""What the read use cases return: figures as published, not yet shaped for any wire format,
and how one unit's or level's rollup becomes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.aggregator.domain.figures import (
    Published,
    derived_values,
    indicator_values,
    published_number,
)
from services.aggregator.domain.latest import StoredReport
from services.aggregator.domain.period_totals import AskedPeriod
from services.aggregator.domain.rollup import Completeness, Rollup
from services.aggregator.domain.targets import TargetJudgement, judgements
from shared.registry import Unit


@dataclass(frozen=True)
class UnitFigures:
    """One unit's or level's figures for the asked period."""

    report_type: str
    period: str
    periods: list[str] | None  # a period total's parts; None for a reporting period
    unit: Unit
    values: dict[str, Published]
    derived: dict[str, dict[str, Any]]  # value, and target and met where it has a target
    completeness: Completeness
    targets: dict[str, TargetJudgement]


def unit_figures(
    asked: AskedPeriod, unit: Unit, rollup: Rollup, units_judged: int, *, one_unit: bool
) -> UnitFigures:
    """``one_unit``: the rollup is the unit's own report (or its periods), not a level's;
    ``units_judged``: how many units its target counts are out of."""
    report_type = asked.report_type
    values = indicator_values(report_type, rollup.tally, one_unit=one_unit)
    derived = derived_values(report_type, values)
    for entry in derived.values():
        entry["value"] = published_number(entry["value"])
    return UnitFigures(
        report_type.code,
        asked.period.label,
        asked.labels if asked.is_total else None,
        unit,
        {code: published_number(value) for code, value in values.items()},
        derived,
        rollup.completeness,
        judgements(report_type, rollup.targets, units_judged),
    )


@dataclass(frozen=True)
class YearBefore:
    """The same total a year earlier, and each figure's change against it."""

    period: str
    values: dict[str, Published]
    change_pct: dict[str, float | None]


@dataclass(frozen=True)
class RollupReading:
    """A rollup with what comes with it: a province's own report, its children (the provinces
    of the nation, the communes of a province), and for a year the year before."""

    figures: UnitFigures
    own: UnitFigures | None = None
    children: list[UnitFigures] | None = None
    compared_with: YearBefore | None = None


@dataclass(frozen=True)
class LateUnit:
    unit: Unit
    deadline: datetime | None
    report: StoredReport | None  # None: nothing submitted

    @property
    def status(self) -> str:
        return "late" if self.report is not None else "missing"


@dataclass(frozen=True)
class LateList:
    report_type: str
    period: str
    province: str | None
    units: list[LateUnit]


@dataclass(frozen=True)
class MissingUnit:
    unit: str
    name: str | None
    province: str | None
    value: Published  # the unit's own figure of the derived indicator


@dataclass(frozen=True)
class MissingTargetList:
    report_type: str
    period: str
    target: str  # the derived indicator's code
    rule: str  # ">= 15"
    province: str | None
    units: list[MissingUnit]
