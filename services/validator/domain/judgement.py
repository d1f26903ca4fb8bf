"""Whether a submission counts and whether it was on time. Pure: every input is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.catalog import Catalog, IndicatorType, ReportType
from shared.catalog.expression import COMPARATORS
from shared.periods import VIETNAM, InvalidPeriod, Period
from shared.registry import Registry, Unit
from shared.schemas import IndicatorValue, Reason, Submission, Timeliness

# NUMERIC(20, 4) holds any count or budget a commune will report; larger numbers are slips.
MAX_ABS_VALUE = Decimal(10) ** 15


@dataclass(frozen=True)
class Judgement:
    accepted: bool
    reasons: list[Reason] = field(default_factory=list)
    timeliness: Timeliness | None = None
    province: str | None = None
    values: dict[str, IndicatorValue] | None = None


def _reason(code: str, vi: str, en: str, indicator: str | None = None) -> Reason:
    return Reason(code=code, message=vi, message_en=en, indicator=indicator)


def judge(
    submission: Submission,
    *,
    catalog: Catalog,
    registry: Registry,
    received_at: datetime,
    subject_unit: str | None = None,
) -> Judgement:
    """Judge ``submission`` as received at ``received_at`` (system time)."""
    unit = registry.get(submission.unit)
    province = unit.province if unit else None
    reasons = _envelope_reasons(submission, registry, unit, received_at, subject_unit)
    report_type = catalog.get(submission.report_type)
    if report_type is None:
        reasons.append(
            _reason(
                "unknown_report_type",
                f"Không có loại báo cáo {submission.report_type!r}",
                f"Unknown report type {submission.report_type!r}",
            )
        )
        return Judgement(False, reasons, province=province)
    if unit is not None and unit.level not in report_type.submitting_levels():
        reasons.append(
            _reason(
                "level_not_submitting",
                f"Cấp {unit.level} không nộp báo cáo này",
                f"Units at {unit.level} level do not submit this report",
            )
        )
    period = _period(report_type, submission.period, received_at, reasons)
    values, value_reasons = check_values(report_type, submission.values)
    reasons += value_reasons
    if not value_reasons:
        reasons += check_rules(report_type, values)
    if reasons or unit is None or period is None:
        return Judgement(False, reasons, province=province)
    deadline_level = unit.level
    due = report_type.deadline_for(deadline_level, period)
    assert due is not None
    on_time = received_at.astimezone(VIETNAM).date() <= due.date()
    return Judgement(True, [], "on_time" if on_time else "late", province, values)


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
        reasons.append(
            _reason(
                "unknown_indicator",
                f"Chỉ tiêu {code!r} không có trong biểu mẫu",
                f"{code!r} is not an indicator of {report_type.code}",
                code,
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
        elif abs(Decimal(value)) >= MAX_ABS_VALUE:
            reasons.append(
                _reason("value_too_large", f"Chỉ tiêu {code} quá lớn", f"{code} is too large", code)
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


def check_rules(report_type: ReportType, values: dict[str, IndicatorValue]) -> list[Reason]:
    reasons = []
    for rule in report_type.rules:
        left, right = rule.expressions()
        left_value, right_value = left.evaluate(values), right.evaluate(values)
        if left_value is None or right_value is None:
            continue
        if not COMPARATORS[rule.operator](left_value, right_value):
            reasons.append(
                Reason(
                    code="rule_violated",
                    message=f"{rule.message.vi} ({rule.left} = {left_value}, {rule.right} = {right_value})",
                    message_en=f"{rule.message.en} ({rule.left} = {left_value}, {rule.right} = {right_value})",
                    indicator=sorted(left.names)[0] if left.names else None,
                    rule=rule.code,
                )
            )
    return reasons
