"""The report type's rules over a report's values, and the warnings a unit's own figures earn:
a target missed, a value far from the unit's last periods. Pure.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal

from shared.catalog import ReportType
from shared.catalog.expression import COMPARATORS
from shared.catalog.model import Importance, MissingValues
from shared.schemas import IndicatorValue, Reason


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
