"""The oracle of a load round: what Central must show, summed from the plan alone.

It keeps the latest valid values of every unit and adds them up with plain Decimal arithmetic,
straight from each report type's definition, never with the system's code; then lists every way
the Central read API's answer differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from baocao.planned import Planned
from shared.catalog import ReportType
from shared.catalog.model import Aggregation


def _figures(report_type: ReportType, reports: list[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Each indicator's figure over ``reports``, straight from the definition of its type;
    an indicator nobody reported has no figure."""
    figures: dict[str, Decimal] = {}
    for indicator in report_type.indicators:
        code, kind = indicator.code, indicator.aggregation
        given = [r for r in reports if r.get(code) is not None]
        if kind == Aggregation.WEIGHTED_MEAN:
            given = [r for r in given if r.get(indicator.weight or "") is not None]
        if not given:
            continue
        numbers = [Decimal(str(r[code])) for r in given]
        if kind == Aggregation.MEAN:
            figures[code] = sum(numbers, Decimal(0)) / len(numbers)
        elif kind == Aggregation.WEIGHTED_MEAN:
            weights = [Decimal(str(r[indicator.weight or ""])) for r in given]
            total = sum(weights, Decimal(0))
            if total:
                weighted = sum((v * w for v, w in zip(numbers, weights, strict=True)), Decimal(0))
                figures[code] = weighted / total
        elif kind == Aggregation.MIN:
            figures[code] = min(numbers)
        elif kind == Aggregation.MAX:
            figures[code] = max(numbers)
        elif kind == Aggregation.COUNT:
            figures[code] = Decimal(len(numbers))
        else:  # sum, and last: one period's stocks add up across units
            figures[code] = sum(numbers, Decimal(0))
    return figures


@dataclass
class Oracle:
    """The latest valid values of every (report type, period, unit), and what they add up to."""

    final: dict[tuple[str, str, str], tuple[str, Mapping[str, Any]]] = field(default_factory=dict)

    def record(self, planned: Planned) -> None:
        if planned.valid:
            key = (planned.report_type, planned.period, planned.unit.code)
            self.final[key] = (planned.province, planned.values)

    def rollups(self) -> set[tuple[str, str]]:
        return {(rt, period) for rt, period, _ in self.final}

    def submitted(self, report_type: str, period: str) -> int:
        return sum(1 for rt, p, _ in self.final if (rt, p) == (report_type, period))

    def expected(
        self, report_type: ReportType, period: str
    ) -> tuple[dict[str, dict[str, Decimal]], dict[str, int], dict[str, Decimal]]:
        """Per province, each indicator's figure; per province, reports counted; Central's figures."""
        by_province: dict[str, list[Mapping[str, Any]]] = {}
        for (rt, p, _), (province, values) in self.final.items():
            if (rt, p) == (report_type.code, period):
                by_province.setdefault(province, []).append(values)
        everyone = [values for reports in by_province.values() for values in reports]
        return (
            {p: _figures(report_type, reports) for p, reports in by_province.items()},
            {p: len(reports) for p, reports in by_province.items()},
            _figures(report_type, everyone),
        )

    def mismatches(
        self, report_type: ReportType, period: str, central: Mapping[str, Any]
    ) -> list[str]:
        """Every way Central's answer differs from the oracle; empty when they agree."""
        by_province, submitted, national = self.expected(report_type, period)
        found: list[str] = []
        label = f"{report_type.code} {period}"

        def compare(where: str, actual: Mapping[str, Any], expected: Mapping[str, Decimal]) -> None:
            for code in {*expected, *(c for c, v in actual.items() if v is not None)}:
                have, want = actual.get(code), expected.get(code)
                if have is None or want is None or abs(Decimal(str(have)) - want) > Decimal("1e-4"):
                    found.append(f"{label} {where} {code}: system {have}, oracle {want}")

        compare("Central", central["values"], national)
        total = sum(submitted.values())
        if central["completeness"]["submitted"] != total:
            found.append(
                f"{label} Central submitted: system {central['completeness']['submitted']}, oracle {total}"
            )
        for child in central["children"]:
            compare(child["unit"], child["values"], by_province.get(child["unit"], {}))
            want = submitted.get(child["unit"], 0)
            if child["completeness"]["submitted"] != want:
                found.append(
                    f"{label} {child['unit']} submitted: system {child['completeness']['submitted']}, oracle {want}"
                )
        return found
