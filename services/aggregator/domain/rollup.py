"""The rollup fold: unit reports into a province's rollup, one report at a time, and rollups
side by side into the level above. Pure. (The tally each rollup holds is ``tally.py``; periods
into longer periods is ``period_totals.py``.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from services.aggregator.domain.figures import parse_values
from services.aggregator.domain.latest import StoredReport
from services.aggregator.domain.tally import SUMMED, Number, Rules, Tally
from services.aggregator.domain.targets import TargetCount, TargetCounts, add_counts, targets_of
from shared.catalog import ReportType


@dataclass(frozen=True)
class Completeness:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0

    def __add__(self, other: Completeness) -> Completeness:
        return Completeness(
            self.expected + other.expected,
            self.submitted + other.submitted,
            self.on_time + other.on_time,
            self.late + other.late,
        )

    @property
    def missing(self) -> int:
        return max(self.expected - self.submitted, 0)

    @property
    def rate_pct(self) -> float | None:
        return None if self.expected == 0 else round(100 * self.submitted / self.expected, 2)


@dataclass(frozen=True)
class UnitReport:
    unit: str
    timeliness: str
    values: Mapping[str, Number]


@dataclass
class Rollup:
    tally: Tally
    completeness: Completeness
    targets: TargetCounts = field(default_factory=dict)


def roll_up(
    reports: Iterable[UnitReport],
    expected: int,
    report_type: ReportType | None = None,
    *,
    judge: bool = True,
) -> Rollup:
    """``judge``: count the targets each report meets (a period total judges units on their
    combined figures instead, so it skips this)."""
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = Tally()
    targets: dict[str, TargetCount] = {}
    on_time = late = submitted = 0
    for report in reports:
        tally.add(report.values, rules)
        if report_type is not None and judge:
            targets = add_counts(targets, targets_of(report_type, report.values))
        submitted += 1
        on_time += report.timeliness == "on_time"
        late += report.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late), targets)


def replace_report(
    rollup: Rollup,
    old: UnitReport | None,
    new: UnitReport,
    expected: int,
    report_type: ReportType | None = None,
) -> Rollup:
    """``rollup`` with a unit's report ``old`` (None: it had none) replaced by ``new``.

    Equal to rolling up every unit again, at a cost that does not grow with the number of
    units: a deadline-day burst costs the same per report in a province of 100 communes or
    1,000. Raises CannotTakeBack when ``old`` held a minimum or maximum.
    """
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = rollup.tally.copy()
    targets = dict(rollup.targets)
    c = rollup.completeness
    submitted, on_time, late = c.submitted, c.on_time, c.late
    if old is not None:
        tally.remove(old.values, rules)
        on_time -= old.timeliness == "on_time"
        late -= old.timeliness == "late"
        if report_type is not None:
            targets = add_counts(targets, targets_of(report_type, old.values), -1)
    else:
        submitted += 1
    tally.add(new.values, rules)
    if report_type is not None:
        targets = add_counts(targets, targets_of(report_type, new.values))
    on_time += new.timeliness == "on_time"
    late += new.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late), targets)


def combine(rollups: Iterable[Rollup], report_type: ReportType | None = None) -> Rollup:
    """Units or provinces side by side (the same period): the rollup of the level above."""
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = Tally()
    completeness = Completeness()
    targets: dict[str, TargetCount] = {}
    for rollup in rollups:
        tally.merge(rollup.tally, rules)
        completeness += rollup.completeness
        targets = add_counts(targets, rollup.targets)
    return Rollup(tally, completeness, targets)


def unit_report(report_type: ReportType, report: StoredReport) -> UnitReport:
    """A stored report as the fold takes it: its values parsed by indicator type."""
    return UnitReport(report.unit, report.timeliness, parse_values(report_type, report.values))


def canonical(values: Mapping[str, Number]) -> dict[str, Number | str]:
    """Numbers in one spelling per value, so a rollup kept up report by report and one rebuilt
    from scratch store the same bytes: Decimal('2.50') and Decimal('2.5') are both "2.5"."""
    return {code: _plain(v) if isinstance(v, Decimal) else v for code, v in values.items()}


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
