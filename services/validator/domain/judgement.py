"""Whether a submission counts and whether it was on time. Pure: every input is passed in.

``judge`` runs the checks in their order, each kept in a module of its own:

- envelope.py: the unit exists, existed in the period, is open, matches the NATS subject;
- deadlines.py: the period is open, not locked by date or by an approval, on time or late;
- values.py: each value's type and range, required and unknown indicators;
- rules.py: the report type's rules, then the target and outlier warnings.

(Signatures are judged beside it, in signatures.py; verdicts.py puts both together.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.validator.domain.approvals import Approval
from services.validator.domain.deadlines import (
    LockKey,
    approval_reasons,
    lock_reasons,
    period_of,
    timeliness,
)
from services.validator.domain.envelope import envelope_reasons
from services.validator.domain.reasons import reason
from services.validator.domain.rules import check_rules, outlier_warnings, target_warnings
from services.validator.domain.values import check_values
from shared.catalog import Catalog
from shared.periods import end_of_day
from shared.registry import Registry
from shared.schemas import IndicatorValue, Reason, Submission, Timeliness

__all__ = ["Judgement", "LockKey", "Locks", "judge"]


@dataclass(frozen=True)
class Locks:
    """What may keep a report out, read for a batch: lock exceptions in force, approvals
    standing."""

    exceptions: set[LockKey] = field(default_factory=set)
    approvals: dict[LockKey, Approval] = field(default_factory=dict)


@dataclass(frozen=True)
class Judgement:
    accepted: bool
    reasons: list[Reason] = field(default_factory=list)
    timeliness: Timeliness | None = None
    province: str | None = None
    values: dict[str, IndicatorValue] | None = None
    warnings: list[Reason] = field(default_factory=list)


def judge(
    submission: Submission,
    *,
    catalog: Catalog,
    registry: Registry,
    received_at: datetime,
    counted_at: datetime | None = None,
    subject_unit: str | None = None,
    keyed_channel: bool = False,
    history: Sequence[Mapping[str, IndicatorValue]] = (),
    lock_exceptions: Collection[LockKey] = frozenset(),
    approvals: Mapping[LockKey, Approval] | None = None,
) -> Judgement:
    """Judge ``submission`` as received at ``received_at`` (system time), on time and within
    the lock by ``counted_at`` (offline_time.py: the receipt unless a signed time is honoured).

    ``history`` holds the unit's accepted values for the report type's previous periods, most
    recent first (for the outlier warning); ``lock_exceptions`` the reports a province has
    reopened after their period locked; ``approvals`` the approvals standing for the unit's
    report or its province's (a lock exception does not lift one: unapproving does)."""
    unit = registry.get(submission.unit)
    province = unit.province if unit else None
    counted = received_at if counted_at is None else counted_at
    report_type = catalog.get(submission.report_type)
    if report_type is None:
        reasons = envelope_reasons(
            submission, registry, unit, received_at, subject_unit, keyed_channel
        )
        reasons.append(
            reason(
                "unknown_report_type",
                f"Không có loại báo cáo {submission.report_type!r}",
                f"Unknown report type {submission.report_type!r}",
            )
        )
        return Judgement(False, reasons, province=province)
    reasons = []
    period = period_of(report_type, submission.period, received_at, reasons)
    # A unit is judged by the registry as it was in the period reported on: a commune merged
    # on 1 July still sends its report for the second quarter under its old code.
    as_of = end_of_day(period.cutoff_end) if period is not None else received_at
    reasons[:0] = envelope_reasons(submission, registry, unit, as_of, subject_unit, keyed_channel)
    if unit is not None and unit.level not in report_type.submitting_levels():
        reasons.append(
            reason(
                "level_not_submitting",
                f"Cấp {unit.level} không nộp báo cáo này",
                f"Units at {unit.level} level do not submit this report",
            )
        )
    values, value_reasons = check_values(report_type, submission.values)
    reasons += value_reasons
    errors, warnings = ([], []) if value_reasons else check_rules(report_type, values)
    reasons += errors
    if unit is not None and period is not None and not reasons:
        reasons += approval_reasons(unit, report_type, period, approvals or {}) or lock_reasons(
            report_type, unit, period, counted, lock_exceptions
        )
    if reasons or unit is None or period is None:
        return Judgement(False, reasons, province=province)
    warnings += target_warnings(report_type, values)
    warnings += outlier_warnings(report_type, values, history)
    return Judgement(
        True,
        [],
        timeliness(report_type, unit, period, counted),
        province,
        values,
        warnings=warnings,
    )
