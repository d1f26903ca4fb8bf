"""Who is due which notice of the reminder policy, on which day. Pure.

Each level of a report type has a policy in the catalog: steps a number of working days from the
level's deadline day (``unit-3``, ``unit-1``, ``unit+0``, ``parent+1``, ``central+3``). On a step's
day, for every unit of that level with no accepted report:

- ``unit`` steps remind the unit itself, one notice each;
- ``parent`` steps send its parent one digest listing all its late units (a province for its
  communes, Central for the provinces);
- ``central`` steps send Central one digest listing the provinces that are behind, with the
  completeness of their units of that level.

A step is still due for ``catch_up_days`` calendar days after its day, so a notifier that was
down on the day catches up; but only the latest due step of each audience is planned (no one gets
the three-days-before reminder after the one-day-before one), and a reminder about a deadline
that has passed is never sent. The outbox's keys make planning the same step again harmless.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.catalog import Catalog, Level, ReportType
from shared.catalog.model import Audience, ReminderStep
from shared.periods import Period
from shared.registry import CENTRAL_CODE, Registry, Unit

SubmittedKey = tuple[str, str, str]  # (report type, period, unit)
# How many periods back a step can still fall due: 30 working days after a monthly deadline
# reaches into the second month after the period.
PERIODS_BACK = 3


@dataclass(frozen=True)
class Progress:
    """A province's units of one level: how many are due, how many have reported."""

    province: Unit
    expected: int
    submitted: int

    @property
    def rate_pct(self) -> float:
        return round(100 * self.submitted / self.expected, 2) if self.expected else 100.0


@dataclass(frozen=True)
class Planned:
    """A notice to schedule: one step, for one recipient, about one level's deadline."""

    step: ReminderStep
    report_type: ReportType
    period: Period
    level: Level
    deadline: datetime
    recipient: Unit
    late: tuple[Unit, ...]
    behind: tuple[Progress, ...] = field(default=())
    planned_on: date | None = None  # later than the step's day when a missed step is caught up

    @property
    def stage(self) -> str:
        return self.step.stage

    @property
    def kind(self) -> str:
        return "reminder" if self.step.to == Audience.UNIT else "escalation"

    @property
    def notice_id(self) -> str:
        return notice_id(
            self.stage, self.report_type.code, self.period.label, self.level, self.recipient.code
        )


def notice_id(stage: str, report_type: str, period: str, level: str, recipient: str) -> str:
    return f"{stage}:{report_type}:{period}:{level}:{recipient}"


def steps_due(
    steps: Iterable[ReminderStep],
    due: date,
    today: date,
    catch_up_days: int,
    on_time_until: date | None = None,
) -> list[ReminderStep]:
    """The steps of a policy to plan on ``today`` for a deadline on ``due``: per audience, the
    latest whose day has come and is at most ``catch_up_days`` past. Steps after the deadline
    count from the end of its grace days (``on_time_until``): a report within them is on time,
    so nobody is escalated for it."""
    latest: dict[Audience, tuple[date, ReminderStep]] = {}
    for step in steps:
        day = step.send_on((on_time_until or due) if step.working_days > 0 else due)
        if not day <= today <= day + timedelta(days=catch_up_days):
            continue
        if step.to == Audience.UNIT and step.working_days <= 0 and today > due:
            continue  # "due in a day" after the deadline would be wrong, and too late
        if step.to not in latest or latest[step.to][0] < day:
            latest[step.to] = (day, step)
    return [step for _, step in sorted(latest.values(), key=lambda entry: entry[0])]


def candidate_periods(report_type: ReportType, today: date) -> list[Period]:
    """The periods whose deadlines can have a step due around ``today``."""
    current = Period.containing(today, report_type.periodicity)
    return [current.shifted(-back) for back in range(PERIODS_BACK, -1, -1)]


def plan(
    catalog: Catalog,
    registry: Registry,
    submitted: Collection[SubmittedKey],
    today: date,
    *,
    catch_up_days: int,
) -> list[Planned]:
    planned: list[Planned] = []
    for report_type in catalog:
        for period in candidate_periods(report_type, today):
            for rule in report_type.levels:
                due = rule.deadline.due_date(period)
                grace_end = rule.deadline.on_time_until(period).date()
                steps = steps_due(rule.reminders, due, today, catch_up_days, grace_end)
                if not steps:
                    continue
                units = registry.units(rule.level, period.cutoff_end)
                late = [
                    u for u in units if (report_type.code, period.label, u.code) not in submitted
                ]
                deadline = rule.deadline.for_period(period)
                for step in steps:
                    planned.extend(
                        _for_step(
                            step,
                            report_type,
                            period,
                            rule.level,
                            deadline,
                            units,
                            late,
                            registry,
                            today,
                        )
                    )
    return planned


def _for_step(
    step: ReminderStep,
    report_type: ReportType,
    period: Period,
    level: Level,
    deadline: datetime,
    units: list[Unit],
    late: list[Unit],
    registry: Registry,
    today: date,
) -> list[Planned]:
    if not late:
        return []

    def one(recipient: Unit, listed: list[Unit], behind: tuple[Progress, ...] = ()) -> Planned:
        return Planned(
            step, report_type, period, level, deadline, recipient, tuple(listed), behind, today
        )

    if step.to == Audience.UNIT:
        return [one(unit, [unit]) for unit in late]
    if step.to == Audience.PARENT:
        by_parent: dict[str, list[Unit]] = {}
        for unit in late:
            if unit.parent is not None:
                by_parent.setdefault(unit.parent, []).append(unit)
        found = []
        for parent_code, children in sorted(by_parent.items()):
            parent = registry.get(parent_code)
            if parent is not None:
                found.append(one(parent, children))
        return found
    central = registry.get(CENTRAL_CODE)
    if central is None:
        return []
    return [one(central, late, progress_of_provinces(units, late, registry))]


def progress_of_provinces(
    units: list[Unit], late: list[Unit], registry: Registry
) -> tuple[Progress, ...]:
    """The provinces with at least one late unit, least complete first."""
    expected: dict[str, int] = {}
    missing: dict[str, int] = {}
    for unit in units:
        province = unit.province or unit.code
        expected[province] = expected.get(province, 0) + 1
    for unit in late:
        province = unit.province or unit.code
        missing[province] = missing.get(province, 0) + 1
    behind = []
    for code, count in missing.items():
        found = registry.get(code)
        if found is not None:
            behind.append(Progress(found, expected[code], expected[code] - count))
    return tuple(sorted(behind, key=lambda p: (p.rate_pct, p.province.code)))
