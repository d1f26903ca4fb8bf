"""A DHIS2 dataValueSet (JSON), importable with ``idScheme=CODE``.

DHIS2 totals data up its own organisation unit hierarchy, so a dataValueSet carries what units
reported, never a total DHIS2 would compute again: a province's export holds its communes'
reports and the province's own; the nation's holds the provinces' totals (the lowest level
Central's rollup has), and a commune's holds its report. Derived indicators are left to DHIS2's
own indicators; a value nobody reported is omitted (DHIS2 reads a missing value as no data,
where 0 would be a figure).
"""

from __future__ import annotations

from typing import Any

from services.aggregator.exports.csv_format import format_number
from services.aggregator.exports.model import Export, Figure, UnitFigures
from services.aggregator.exports.periods import dhis2_period

MEDIA_TYPE = "application/json"


def render_dhis2(export: Export) -> dict[str, Any]:
    period = dhis2_period(export.period)
    data_values = [
        {
            "dataElement": indicator.code,
            "period": period,
            "orgUnit": row.unit,
            "value": format_number(value),
            "comment": row.status.label,
        }
        for row in _reported(export)
        for indicator in export.report_type.indicators
        if (value := row.values.get(indicator.code)) is not None
    ]
    return {
        "dataSet": export.report_type.code,
        "period": period,
        "orgUnit": export.unit,
        "dataValues": data_values,
    }


def render_dhis2_periods(exports: list[Export]) -> dict[str, Any]:
    """Several reporting periods of one unit in one dataValueSet: each value names its own
    period, so the set has none of its own."""
    documents = [render_dhis2(export) for export in exports]
    return {
        "dataSet": documents[0]["dataSet"],
        "orgUnit": documents[0]["orgUnit"],
        "dataValues": [value for document in documents for value in document["dataValues"]],
    }


def _reported(export: Export) -> list[UnitFigures]:
    """The rows DHIS2 should hold: the children, and the unit's own report; the head is left
    out when it is a total of the children (or of the nation's provinces)."""
    head, *rest = export.rows
    if head.figure == Figure.REPORT or not rest:
        return [head, *rest]
    return rest
