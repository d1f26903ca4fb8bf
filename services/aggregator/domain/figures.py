"""Figures from a tally: each indicator's value, the derived indicators, and figures as they
are published (and as stored reports hold them). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.aggregator.domain.tally import Number, Tally
from shared.catalog import IndicatorType, ReportType
from shared.catalog.model import Aggregation

# A figure as the read API and the live feed publish it.
Published = float | int | None


def indicator_values(
    report_type: ReportType, tally: Tally, *, one_unit: bool = False
) -> dict[str, Number | None]:
    """Each indicator's figure from a tally. ``one_unit``: the tally is one unit's own (a report,
    or its periods), so a ``count`` indicator, which counts reporting units at a level above,
    shows what the unit reported."""
    values: dict[str, Number | None] = {}
    for indicator in report_type.indicators:
        code = indicator.code
        count = tally.counts.get(code, 0)
        kind = indicator.aggregation
        if count == 0:
            values[code] = None
        elif kind == Aggregation.MEAN:
            values[code] = Decimal(tally.sums[code]) / count
        elif kind == Aggregation.WEIGHTED_MEAN:
            weight = tally.weights.get(code, 0)
            values[code] = None if weight == 0 else Decimal(tally.sums[code]) / Decimal(weight)
        elif kind == Aggregation.COUNT and not one_unit:
            values[code] = count
        else:
            values[code] = tally.sums[code]
    return values


def derived_values(
    report_type: ReportType, values: Mapping[str, Number | None]
) -> dict[str, dict[str, Any]]:
    """Each derived indicator with its target and whether the target is met (None: no data)."""
    derived: dict[str, dict[str, Any]] = {}
    for item in report_type.derived:
        value = item.expression().evaluate(values)
        entry: dict[str, Any] = {"value": value}
        if item.target is not None:
            entry["target"] = f"{item.target.operator} {item.target.value}"
            entry["met"] = None if value is None else item.target.is_met(value)
        derived[item.code] = entry
    return derived


def published_number(value: Decimal | int | None) -> Published:
    """A figure as published: integers stay exact, decimals to 4 places."""
    if value is None or isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 4))


def published_values(
    report_type: ReportType, tally: Tally, *, one_unit: bool = False
) -> dict[str, Published]:
    """``indicator_values`` as published."""
    values = indicator_values(report_type, tally, one_unit=one_unit)
    return {code: published_number(value) for code, value in values.items()}


def parse_values(report_type: ReportType, stored: Mapping[str, Any]) -> dict[str, Number]:
    """Values as stored in JSON (decimals as strings) back to numbers, by indicator type."""
    types = {i.code: i.type for i in report_type.indicators}
    return {
        code: int(raw) if types.get(code) == IndicatorType.INTEGER else Decimal(str(raw))
        for code, raw in stored.items()
        if code in types
    }


def parse_numbers(stored: Mapping[str, Any]) -> dict[str, Number]:
    """Stored figures whose type is not the indicator's (sums of value × weight, weights)."""
    return {
        code: raw if isinstance(raw, int) else Decimal(str(raw)) for code, raw in stored.items()
    }
