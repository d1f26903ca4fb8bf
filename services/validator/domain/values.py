"""An indicator's value: its type, its range, required or unknown. Pure.

The first check on a report's figures; the report type's rules (rules.py) run only over
values that pass it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from services.validator.domain.reasons import reason
from shared.catalog import IndicatorType, ReportType
from shared.decoding import shown
from shared.schemas import IndicatorValue, Reason

# NUMERIC(20, 4) holds any count or budget a commune will report; larger numbers are slips,
# and so are more than four decimal places (rollups keep 28 significant digits, and a decimal
# of a million digits made an accepted verdict too large to publish).
MAX_ABS_VALUE = Decimal(10) ** 15
MAX_DECIMAL_PLACES = 4


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
            reason(
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
                    reason("missing_value", f"Thiếu chỉ tiêu {code}", f"{code} is required", code)
                )
            continue
        value: IndicatorValue | None = _number(raw[code])
        if value is None:
            reasons.append(
                reason(
                    "not_a_number", f"Chỉ tiêu {code} phải là số", f"{code} must be a number", code
                )
            )
        elif indicator.type == IndicatorType.INTEGER and not isinstance(value, int):
            reasons.append(
                reason(
                    "not_an_integer",
                    f"Chỉ tiêu {code} phải là số nguyên",
                    f"{code} must be a whole number",
                    code,
                )
            )
        elif value < 0:
            reasons.append(
                reason(
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
                reason("value_too_large", f"Chỉ tiêu {code} quá lớn", f"{code} is too large", code)
            )
        elif isinstance(value, Decimal) and not _fits_places(value):
            reasons.append(
                reason(
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
