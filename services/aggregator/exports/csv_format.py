"""CSV: one row per unit and indicator, derived indicators included, with the metadata a
spreadsheet needs to stand on its own."""

from __future__ import annotations

import csv
import io

from services.aggregator.exports.model import Export, Number, UnitFigures

MEDIA_TYPE = "text/csv; charset=utf-8"

COLUMNS = (
    "report_type",
    "period",
    "unit",
    "unit_name",
    "level",
    "parent",
    "figure",
    "indicator",
    "indicator_title",
    "unit_of_measure",
    "aggregation",
    "value",
    "status",
    "approval",
)

DERIVED = "derived"


def render_csv(export: Export) -> bytes:
    """UTF-8 with a byte-order mark, so that a spreadsheet shows Vietnamese names as they are
    (Excel reads a CSV without one in the local code page); a missing value is an empty cell,
    never 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export.rows:
        for indicator in export.report_type.indicators:
            writer.writerow(
                _line(
                    export,
                    row,
                    indicator.code,
                    indicator.title.vi,
                    indicator.unit,
                    indicator.aggregation.value,
                    row.values.get(indicator.code),
                )
            )
        for derived in export.report_type.derived:
            writer.writerow(
                _line(
                    export,
                    row,
                    derived.code,
                    derived.title.vi,
                    "",
                    DERIVED,
                    row.derived.get(derived.code),
                )
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _line(
    export: Export,
    row: UnitFigures,
    code: str,
    title: str,
    unit_of_measure: str,
    aggregation: str,
    value: Number | None,
) -> tuple[str, ...]:
    return (
        export.report_type.code,
        export.period.label,
        row.unit,
        row.name,
        row.level.value,
        row.parent or "",
        row.figure.value,
        code,
        title,
        unit_of_measure,
        aggregation,
        format_number(value),
        row.status.status.value,
        row.status.approval.value if row.status.approval else "",
    )


def format_number(value: Number | None) -> str:
    """A figure as text: empty when nobody reported it; decimals (the read API keeps 4 places)
    without trailing zeros or an exponent."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}".rstrip("0").rstrip(".")
