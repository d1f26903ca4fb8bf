"""When a report may come in and whether it came in time: the period has opened, its lock
date has not passed (unless a province reopened it), no approval stands over it, and whether
it is on time or late. Pure.

The deadlines themselves are the catalog's (shared/catalog: each level's ``deadline``); this
module applies them to one report received at one moment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from services.validator.domain.approvals import Approval, covering
from services.validator.domain.reasons import reason
from shared.catalog import ReportType
from shared.periods import VIETNAM, InvalidPeriod, Period
from shared.registry import Unit
from shared.schemas import Reason, Timeliness

# (unit, report type, period) a province has reopened after its period locked.
LockKey = tuple[str, str, str]


def timeliness(
    report_type: ReportType, unit: Unit, period: Period, counted_at: datetime
) -> Timeliness:
    """On time up to the level's deadline for the period, late after it. ``counted_at`` is the
    receipt, or the signed time offline_time.py honours."""
    level_rule = report_type.level_rule(unit.level)
    assert level_rule is not None, "judged only for a level that submits the report"
    return "on_time" if counted_at <= level_rule.deadline.on_time_until(period) else "late"


def period_of(
    report_type: ReportType, label: str, received_at: datetime, reasons: list[Reason]
) -> Period | None:
    """The period ``label`` names (None, with a reason, when it names none); a period that has
    not opened by ``received_at`` adds period_not_open."""
    try:
        period = report_type.period_of(label)
    except (InvalidPeriod, ValueError):
        reasons.append(
            reason(
                "invalid_period",
                f"Kỳ báo cáo {label!r} không hợp lệ cho báo cáo {report_type.code}",
                f"{label!r} is not a {report_type.periodicity} period label",
            )
        )
        return None
    if received_at < period.opens_at():
        reasons.append(
            reason(
                "period_not_open",
                f"Kỳ {label} chưa bắt đầu chốt số liệu (từ {period.cutoff_start})",
                f"Period {label} opens on {period.cutoff_start}",
            )
        )
    return period


def lock_reasons(
    report_type: ReportType,
    unit: Unit,
    period: Period,
    counted_at: datetime,
    lock_exceptions: Collection[LockKey],
) -> list[Reason]:
    """period_locked once the level's lock date has passed by ``counted_at`` (as for
    timeliness), unless the province reopened the unit's report (a lock exception in force)."""
    level_rule = report_type.level_rule(unit.level)
    locks_at = level_rule.deadline.locks_at(period) if level_rule else None
    if locks_at is None or counted_at <= locks_at:
        return []
    if (unit.code, report_type.code, period.label) in lock_exceptions:
        return []
    when = locks_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
    return [
        reason(
            "period_locked",
            f"Kỳ {period.label} đã khoá số liệu từ {when}; đề nghị tỉnh mở lại nếu cần sửa",
            f"Period {period.label} locked after {when}; ask the province to reopen it",
        )
    ]


def approval_reasons(
    unit: Unit, report_type: ReportType, period: Period, approvals: Mapping[LockKey, Approval]
) -> list[Reason]:
    """period_locked while an approval stands over the report: the unit's own, or its
    province's."""
    for key in covering(unit.code, unit.province, report_type.code, period.label):
        approval = approvals.get(key)
        if approval is None:
            continue
        when = approval.approved_at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")
        whose = "" if approval.unit == unit.code else f" (toàn tỉnh {approval.unit})"
        whose_en = "" if approval.unit == unit.code else f" (all of province {approval.unit})"
        return [
            reason(
                "period_locked",
                f"Số liệu kỳ {period.label} đã được {approval.approved_by} phê duyệt{whose}"
                f" lúc {when}; đề nghị huỷ phê duyệt nếu cần sửa",
                f"Period {period.label} was approved by {approval.approved_by}{whose_en}"
                f" at {when}; it must be unapproved before a revision",
            )
        ]
    return []
