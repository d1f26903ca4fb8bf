"""Who is due a reminder or an escalation, and when. Pure.

Before a level's deadline (within the reminder lead), every unit of that level with no accepted
report gets a reminder. After the deadline (within the escalation window), its parent gets an
escalation naming it. Each (unit, report type, period, stage) is due at most once; the outbox's
primary key enforces that across restarts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.catalog import Catalog, ReportType
from shared.periods import Period
from shared.registry import Registry, Unit

Stage = Literal["reminder", "escalation"]
SubmittedKey = tuple[str, str, str]


@dataclass(frozen=True)
class Due:
    unit: Unit
    report_type: ReportType
    period: Period
    stage: Stage
    recipient: str
    deadline: datetime


def stage_at(now: datetime, deadline: datetime, lead: timedelta, window: timedelta) -> Stage | None:
    if deadline - lead <= now <= deadline:
        return "reminder"
    if deadline < now <= deadline + window:
        return "escalation"
    return None


def candidate_periods(report_type: ReportType, now: datetime) -> list[Period]:
    """The period containing ``now`` and the one before: the only ones with live deadlines."""
    current = Period.containing(now.date(), report_type.periodicity)
    return [current.shifted(-1), current]


def due_notices(
    catalog: Catalog,
    registry: Registry,
    submitted: Collection[SubmittedKey],
    now: datetime,
    *,
    lead: timedelta,
    window: timedelta,
) -> list[Due]:
    due: list[Due] = []
    for report_type in catalog:
        for period in candidate_periods(report_type, now):
            for level_rule in report_type.levels:
                deadline = level_rule.deadline.for_period(period)
                stage = stage_at(now, deadline, lead, window)
                if stage is None:
                    continue
                for unit in registry.units(level_rule.level, period.cutoff_end):
                    if (report_type.code, period.label, unit.code) in submitted:
                        continue
                    recipient = unit.code if stage == "reminder" else unit.parent
                    if recipient is not None:
                        due.append(Due(unit, report_type, period, stage, recipient, deadline))
    return due
