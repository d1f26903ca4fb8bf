"""Whether a submission counts and whether it was on time. Pure: every input is passed in."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services.validator.domain.approvals import Approval, covering
from shared.catalog import Catalog, IndicatorType, ReportType
from shared.catalog.expression import COMPARATORS
from shared.catalog.model import Importance, MissingValues
from shared.decoding import shown
from shared.periods import VIETNAM, InvalidPeriod, Period, end_of_day
from shared.registry import Registry, Unit
from shared.schemas import IndicatorValue, Reason, Submission, Timeliness

# NUMERIC(20, 4) holds any count or budget a commune will report; larger numbers are slips,
# and so are more than four decimal places (rollups keep 28 significant digits, and a decimal
# of a million digits made an accepted verdict too large to publish).
MAX_ABS_VALUE = Decimal(10) ** 15
MAX_DECIMAL_PLACES = 4


# (unit, report type, period) a province has reopened after its period locked.
LockKey = tuple[str, str, str]


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


def _reason(code: str, vi: str, en: str, indicator: str | None = None) -> Reason:
    return Reason(code=code, message=vi, message_en=en, indicator=indicator)


def judge(
    submission: Submission,
    *,
    catalog: Catalog,
    registry: Registry,
    received_at: datetime,
    subject_unit: str | None = None,
    history: Sequence[Mapping[str, IndicatorValue]] = (),
    lock_exceptions: Collection[LockKey] = frozenset(),
    approvals: Mapping[LockKey, Approval] | None = None,
) -> Judgement:
    """Judge ``submission`` as received at ``received_at`` (system time).

    ``history`` holds the unit's accepted values for the report type's previous periods, most
    recent first (for the outlier warning); ``lock_exceptions`` the reports a province has
    reopened after their period locked; ``approvals`` the approvals standing for the unit's
    report or its province's (a lock exception does not lift one: unapproving does)."""
    unit = registry.get(submission.unit)
    province = unit.province if unit else None
    report_type = catalog.get(submission.report_type)
    if report_type is None:
        reasons = _envelope_reasons(submission, registry, unit, received_at, subject_unit)
        reasons.append(
            _reason(
                "unknown_report_type",
                f"Không có loại báo cáo {submission.report_type!r}",
                f"Unknown report type {submission.report_type!r}",
            )
        )
        return Judgement(False, reasons, province=province)
    reasons = []
    period = _period(report_type, submission.period, received_at, reasons)
    # A unit is judged by the registry as it was in the period reported on: a commune merged
    # on 1 July still sends its report for the second quarter under its old code.
    as_of = end_of_day(period.cutoff_end) if period is not None else received_at
    reasons[:0] = _envelope_reasons(submission, registry, unit, as_of, subject_unit)
    if unit is not None and unit.level not in report_type.submitting_levels():
        reasons.append(
            _reason(
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
        reasons += _approval_reasons(unit, report_type, period, approvals or {}) or _lock_reasons(
            report_type, unit, period, submission, received_at, lock_exceptions
        )
    if reasons or unit is None or period is None:
        return Judgement(False, reasons, province=province)
    level_rule = report_type.level_rule(unit.level)
    assert level_rule is not None
    on_time = received_at <= level_rule.deadline.on_time_until(period)
    warnings += target_warnings(report_type, values)
    warnings += outlier_warnings(report_type, values, history)
    return Judgement(
        True, [], "on_time" if on_time else "late", province, values, warnings=warnings
    )


def _lock_reasons(
    report_type: ReportType,
    unit: Unit,
    period: Period,
    submission: Submission,
    received_at: datetime,
    lock_exceptions: Collection[LockKey],
) -> list[Reason]:
    level_rule = report_type.level_rule(unit.level)
    locks_at = level_rule.deadline.locks_at(period) if level_rule else None
    if locks_at is None or received_at <= locks_at:
        return []
    if (unit.code, report_type.code, period.label) in lock_exceptions:
        return []
    when = locks_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
    return [
        _reason(
            "period_locked",
            f"Kỳ {period.label} đã khoá số liệu từ {when}; đề nghị tỉnh mở lại nếu cần sửa",
            f"Period {period.label} locked after {when}; ask the province to reopen it",
        )
    ]


def _approval_reasons(
    unit: Unit, report_type: ReportType, period: Period, approvals: Mapping[LockKey, Approval]
) -> list[Reason]:
    for key in covering(unit.code, unit.province, report_type.code, period.label):
        approval = approvals.get(key)
        if approval is None:
            continue
        when = approval.approved_at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")
        whose = "" if approval.unit == unit.code else f" (toàn tỉnh {approval.unit})"
        whose_en = "" if approval.unit == unit.code else f" (all of province {approval.unit})"
        return [
            _reason(
                "period_locked",
                f"Số liệu kỳ {period.label} đã được {approval.approved_by} phê duyệt{whose}"
                f" lúc {when}; đề nghị huỷ phê duyệt nếu cần sửa",
                f"Period {period.label} was approved by {approval.approved_by}{whose_en}"
                f" at {when}; it must be unapproved before a revision",
            )
        ]
    return []


def _envelope_reasons(
    submission: Submission,
    registry: Registry,
    unit: Unit | None,
    received_at: datetime,
    subject_unit: str | None,
) -> list[Reason]:
    reasons: list[Reason] = []
    if subject_unit is not None and subject_unit != submission.unit:
        reasons.append(
            _reason(
                "subject_mismatch",
                f"Chủ đề NATS thuộc đơn vị {subject_unit}, báo cáo ghi {submission.unit}",
                f"Published for unit {subject_unit} but the report names {submission.unit}",
            )
        )
    if unit is None:
        reasons.append(
            _reason(
                "unknown_unit",
                f"Không có đơn vị mã {submission.unit}",
                f"No unit has code {submission.unit}",
            )
        )
    elif received_at.astimezone(VIETNAM).date() < unit.valid_from:
        reasons.append(
            _reason(
                "unit_not_yet_created",
                f"Đơn vị {unit.code} được thành lập từ {unit.valid_from:%d/%m/%Y}, sau kỳ báo cáo",
                f"Unit {unit.code} exists from {unit.valid_from}, after the period reported on",
            )
        )
    elif not unit.is_active_on(received_at.astimezone(VIETNAM).date()):
        successor = registry.get(unit.successor) if unit.successor else None
        after = f"; đơn vị kế thừa: {successor.code} {successor.name}" if successor else ""
        after_en = f"; its successor is {successor.code} {successor.name}" if successor else ""
        reasons.append(
            _reason(
                "unit_closed",
                f"Đơn vị {unit.code} đã giải thể{after}",
                f"Unit {unit.code} is closed{after_en}",
            )
        )
    return reasons


def _period(
    report_type: ReportType, label: str, received_at: datetime, reasons: list[Reason]
) -> Period | None:
    try:
        period = report_type.period_of(label)
    except (InvalidPeriod, ValueError):
        reasons.append(
            _reason(
                "invalid_period",
                f"Kỳ báo cáo {label!r} không hợp lệ cho báo cáo {report_type.code}",
                f"{label!r} is not a {report_type.periodicity} period label",
            )
        )
        return None
    if received_at < period.opens_at():
        reasons.append(
            _reason(
                "period_not_open",
                f"Kỳ {label} chưa bắt đầu chốt số liệu (từ {period.cutoff_start})",
                f"Period {label} opens on {period.cutoff_start}",
            )
        )
    return period


def check_values(
    report_type: ReportType, raw: dict[str, Any]
) -> tuple[dict[str, IndicatorValue], list[Reason]]:
    """Types, ranges, required and unknown indicators."""
    reasons: list[Reason] = []
    values: dict[str, IndicatorValue] = {}
    indicators = report_type.indicator_by_code
    for code in sorted(set(raw) - set(indicators)):
        # A name from the body is shown short and with control characters escaped: 45 names
        # of 20,000 characters, echoed in full, made a verdict too large to publish.
        name = shown(code)
        reasons.append(
            _reason(
                "unknown_indicator",
                f"Chỉ tiêu {name!r} không có trong biểu mẫu",
                f"{name!r} is not an indicator of {report_type.code}",
                name,
            )
        )
    for code, indicator in indicators.items():
        if code not in raw or raw[code] is None:
            if indicator.required:
                reasons.append(
                    _reason("missing_value", f"Thiếu chỉ tiêu {code}", f"{code} is required", code)
                )
            continue
        value: IndicatorValue | None = _number(raw[code])
        if value is None:
            reasons.append(
                _reason(
                    "not_a_number", f"Chỉ tiêu {code} phải là số", f"{code} must be a number", code
                )
            )
        elif indicator.type == IndicatorType.INTEGER and not isinstance(value, int):
            reasons.append(
                _reason(
                    "not_an_integer",
                    f"Chỉ tiêu {code} phải là số nguyên",
                    f"{code} must be a whole number",
                    code,
                )
            )
        elif value < 0:
            reasons.append(
                _reason(
                    "negative_value",
                    f"Chỉ tiêu {code} không được âm",
                    f"{code} cannot be negative",
                    code,
                )
            )
        elif Decimal(value).copy_abs() >= MAX_ABS_VALUE:
            # copy_abs, not abs(): abs() rounds in the context and raised decimal.Overflow on
            # 1E+1000000, which crashed judging.
            reasons.append(
                _reason("value_too_large", f"Chỉ tiêu {code} quá lớn", f"{code} is too large", code)
            )
        elif isinstance(value, Decimal) and not _fits_places(value):
            reasons.append(
                _reason(
                    "too_many_decimals",
                    f"Chỉ tiêu {code} có quá {MAX_DECIMAL_PLACES} chữ số thập phân",
                    f"{code} has more than {MAX_DECIMAL_PLACES} decimal places",
                    code,
                )
            )
        else:
            values[code] = value
    return values, reasons


def _number(raw: object) -> IndicatorValue | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, Decimal):
        try:
            return raw if raw.is_finite() else None
        except InvalidOperation:
            return None
    return None


_PLACES = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)


def _fits_places(value: Decimal) -> bool:
    """At most MAX_DECIMAL_PLACES significant decimal places (trailing zeros do not count)."""
    try:
        return value.quantize(_PLACES) == value
    except InvalidOperation:
        return False


def check_rules(
    report_type: ReportType, values: Mapping[str, IndicatorValue]
) -> tuple[list[Reason], list[Reason]]:
    """The report type's rules over ``values``: (errors, warnings), by each rule's importance."""
    errors: list[Reason] = []
    warnings: list[Reason] = []
    for rule in report_type.rules:
        left, right = rule.expressions()
        names = left.names | right.names
        missing = {name for name in names if values.get(name) is None}
        if missing and (
            rule.missing_values == MissingValues.SKIP_IF_ANY_MISSING
            or (rule.missing_values == MissingValues.SKIP_IF_ALL_MISSING and missing == names)
        ):
            continue
        filled = {**values, **dict.fromkeys(missing, 0)}
        left_value, right_value = left.evaluate(filled), right.evaluate(filled)
        if left_value is None or right_value is None:  # a division by zero: not checkable
            continue
        if COMPARATORS[rule.operator](left_value, right_value):
            continue
        (errors if rule.importance == Importance.ERROR else warnings).append(
            Reason(
                code="rule_violated",
                message=f"{rule.message.vi} ({rule.left} = {left_value}, {rule.right} = {right_value})",
                message_en=f"{rule.message.en} ({rule.left} = {left_value}, {rule.right} = {right_value})",
                indicator=sorted(left.names)[0] if left.names else None,
                rule=rule.code,
            )
        )
    return errors, warnings


def target_warnings(report_type: ReportType, values: Mapping[str, IndicatorValue]) -> list[Reason]:
    """A derived indicator the unit's own figures put on the wrong side of its target."""
    warnings = []
    for derived in report_type.derived:
        if derived.target is None:
            continue
        value = derived.expression().evaluate(values)
        if value is None or derived.target.is_met(value):
            continue
        shown = f"{value:.2f}".rstrip("0").rstrip(".")
        target = f"{derived.target.operator} {derived.target.value}"
        warnings.append(
            Reason(
                code="target_missed",
                message=f"{derived.title.vi}: {shown}, chưa đạt mục tiêu {target}",
                message_en=f"{derived.title.en}: {shown}, target {target} missed",
                indicator=derived.code,
            )
        )
    return warnings


def outlier_warnings(
    report_type: ReportType,
    values: Mapping[str, IndicatorValue],
    history: Sequence[Mapping[str, IndicatorValue]],
) -> list[Reason]:
    """Values far from the median of the unit's own last periods: a likely data-entry slip."""
    policy = report_type.outliers
    if policy is None:
        return []
    warnings = []
    recent = history[: policy.periods]
    for code, value in values.items():
        past = [Decimal(h[code]) for h in recent if h.get(code) is not None]
        if len(past) < policy.min_history:
            continue
        median = Decimal(statistics.median(past))
        if median <= 0:
            continue
        if median / policy.factor <= Decimal(value) <= median * policy.factor:
            continue
        warnings.append(
            Reason(
                code="outlier",
                message=f"Chỉ tiêu {code} = {value}, khác xa trung vị {median} của"
                f" {len(past)} kỳ trước (quá {policy.factor} lần); đề nghị kiểm tra lại",
                message_en=f"{code} = {value} is far from the median {median} of the previous"
                f" {len(past)} periods (more than {policy.factor}×); please check it",
                indicator=code,
            )
        )
    return warnings
