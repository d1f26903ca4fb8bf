"""What an export holds: each unit's figures and the status of its observations.

An observation is ``approved`` when an approvals row covers it (a province's row covers its
communes and itself; ``central_accepted`` once Central has accepted it), ``final`` once every
level it draws on has passed its lock date (nothing can change it any more without a lock
exception), and ``provisional`` before that.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.aggregator.exports.periods import reporting_periods
from shared.catalog import Level, ReportType
from shared.periods import Period

Number = int | float


class Status(StrEnum):
    PROVISIONAL = "provisional"
    FINAL = "final"
    APPROVED = "approved"


class Approval(StrEnum):
    """Who has signed the figures off: the province, or the province and then Central."""

    PROVINCE_APPROVED = "province_approved"
    CENTRAL_ACCEPTED = "central_accepted"


_RANK: dict[Approval | None, int] = {
    None: 0,
    Approval.PROVINCE_APPROVED: 1,
    Approval.CENTRAL_ACCEPTED: 2,
}

# (period label, unit) -> the approval on record for that unit's data in that period
Approvals = Mapping[tuple[str, str], Approval]


@dataclass(frozen=True)
class ObservationStatus:
    status: Status
    approval: Approval | None = None

    @property
    def label(self) -> str:
        """``provisional``, ``final``, ``approved:province_approved``, ..."""
        return f"{self.status}:{self.approval}" if self.approval else str(self.status)


class Figure(StrEnum):
    """A total over several units' reports, or one unit's own report."""

    TOTAL = "total"
    REPORT = "report"


@dataclass(frozen=True)
class UnitFigures:
    unit: str
    name: str
    level: Level
    parent: str | None
    figure: Figure
    values: Mapping[str, Number | None]
    derived: Mapping[str, Number | None]
    status: ObservationStatus


@dataclass(frozen=True)
class Export:
    """A rollup (the first row), then a province's own report if it has one, then its
    children: the provinces of the nation, the communes of a province."""

    report_type: ReportType
    period: Period
    prepared: datetime
    rows: tuple[UnitFigures, ...]

    @property
    def unit(self) -> str:
        return self.rows[0].unit


def build_export(
    report_type: ReportType,
    period: Period,
    body: Mapping[str, Any],
    *,
    parent: str | None,
    approvals: Approvals,
    now: datetime,
) -> Export:
    """The export of ``body`` (a rollup as the read API returns it, ``parent`` being its
    unit's parent), with each row's status as of ``now``."""
    judge = _Judge(report_type, reporting_periods(report_type, period), approvals, now)
    head_level = Level(body["level"])
    children = [_child(judge, child, body["unit"]) for child in body.get("children", [])]
    if head_level == Level.CENTRAL:
        # The nation is signed off when every province is.
        approval = _weakest(row.status.approval for row in children) if children else None
        head = _row(body, parent, Figure.TOTAL, judge.status(approval, judge.all_levels))
    elif head_level == Level.PROVINCE:
        head = _row(body, parent, Figure.TOTAL, judge.total_status(body["unit"]))
    else:
        head = _row(body, parent, Figure.REPORT, judge.report_status(body["unit"], parent))
    rows = [head]
    if "own" in body:
        own = body["own"]
        rows.append(_row(own, parent, Figure.REPORT, judge.report_status(own["unit"], own["unit"])))
    return Export(report_type, period, now, (*rows, *children))


def _child(judge: _Judge, body: Mapping[str, Any], parent: str) -> UnitFigures:
    if Level(body["level"]) == Level.PROVINCE:
        return _row(body, parent, Figure.TOTAL, judge.total_status(body["unit"]))
    return _row(body, parent, Figure.REPORT, judge.report_status(body["unit"], parent))


def _row(
    body: Mapping[str, Any], parent: str | None, figure: Figure, status: ObservationStatus
) -> UnitFigures:
    return UnitFigures(
        unit=body["unit"],
        name=body["name"],
        level=Level(body["level"]),
        parent=parent,
        figure=figure,
        values=dict(body.get("values", {})),
        derived={code: entry.get("value") for code, entry in body.get("derived", {}).items()},
        status=status,
    )


def _weakest(approvals: Iterable[Approval | None]) -> Approval | None:
    return min(approvals, key=_RANK.__getitem__, default=None)


@dataclass(frozen=True)
class _Judge:
    report_type: ReportType
    periods: list[Period]
    approvals: Approvals
    now: datetime

    @property
    def all_levels(self) -> tuple[Level, ...]:
        return self.report_type.submitting_levels()

    def total_status(self, province: str) -> ObservationStatus:
        """A province's total: its approvals row covers everything in it."""
        return self.status(self.approval((province,)), self.all_levels)

    def report_status(self, unit: str, province: str | None) -> ObservationStatus:
        """One unit's report, covered by its own row or its province's."""
        level = Level.PROVINCE if unit == province else Level.COMMUNE
        covering = (unit,) if province is None or unit == province else (unit, province)
        return self.status(self.approval(covering), (level,))

    def approval(self, covering: Collection[str]) -> Approval | None:
        """Signed off for every reporting period (each quarter of a year's total), by the
        strongest row that covers it in each."""
        return _weakest(
            max((self.approvals.get((p.label, code)) for code in covering), key=_RANK.__getitem__)
            for p in self.periods
        )

    def status(self, approval: Approval | None, levels: Iterable[Level]) -> ObservationStatus:
        if approval is not None:
            return ObservationStatus(Status.APPROVED, approval)
        if self.locked(levels):
            return ObservationStatus(Status.FINAL)
        return ObservationStatus(Status.PROVISIONAL)

    def locked(self, levels: Iterable[Level]) -> bool:
        """Every level's reports for every reporting period are past their lock date (a
        report is still taken at the lock instant itself)."""
        for level in levels:
            rule = self.report_type.level_rule(level)
            if rule is None:
                continue
            for period in self.periods:
                locks_at = rule.deadline.locks_at(period)
                if locks_at is None or self.now <= locks_at:
                    return False
        return True
