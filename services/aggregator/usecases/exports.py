"""Exporting a rollup with its children as a file: CSV, SDMX-JSON 2.0.0 or a DHIS2 dataValueSet.

The rollup is read as the read API reads it (``RollupReader``), then the approvals that cover
its units in one query; the rest is the pure model and renderers of
``services.aggregator.exports``. The route only authorises the caller and sends the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.aggregator.exports import Export, build_export, csv_format, dhis2, sdmx
from services.aggregator.exports.periods import reporting_periods
from services.aggregator.usecases.ports import ApprovalStatus
from services.aggregator.usecases.read_rollups import RollupReader
from services.aggregator.usecases.readings import RollupReading, UnitFigures
from shared.clock import Clock
from shared.periods import Period
from shared.registry import CENTRAL_CODE

DHIS2 = "dhis2.json"


@dataclass(frozen=True)
class FileFormat:
    media_type: str
    render: Callable[[Export], bytes]


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# By file extension, which is also how the routes name them.
FORMATS: dict[str, FileFormat] = {
    "csv": FileFormat(csv_format.MEDIA_TYPE, csv_format.render_csv),
    "sdmx.json": FileFormat(sdmx.MEDIA_TYPE, lambda export: _json(sdmx.render_sdmx(export))),
    DHIS2: FileFormat(dhis2.MEDIA_TYPE, lambda export: _json(dhis2.render_dhis2(export))),
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str  # <report type>_<period>_<unit>.<extension>


def covering_units(reading: RollupReading) -> set[str]:
    """The units whose approvals can cover the rows of ``reading``: its unit, its children,
    and a commune's province (a province's approval covers its communes' reports)."""
    units = {reading.figures.unit.code, *(child.unit.code for child in reading.children or ())}
    parent = reading.figures.unit.parent
    if parent is not None and parent != CENTRAL_CODE:
        units.add(parent)
    return units


@dataclass(frozen=True)
class Exporter:
    reader: RollupReader
    approvals: ApprovalStatus
    clock: Clock

    async def export(
        self, report_type: str, period: str, unit: str | None, extension: str
    ) -> ExportFile:
        """The file of ``unit``'s rollup (None: the nation's) in the format of ``extension``
        (a key of ``FORMATS``)."""
        asked = self.reader.resolve(report_type, period)
        file_format = FORMATS[extension]
        parts = reporting_periods(asked.report_type, asked.period)
        if extension == DHIS2 and len(parts) > 1:
            # DHIS2 totals a data set's periods itself: a year of a quarterly report goes over
            # as its four quarters, never as a yearly value DHIS2 would add to them.
            exports = [await self.build(report_type, part.label, unit) for part in parts]
            content = _json(dhis2.render_dhis2_periods(exports))
        else:
            exports = [await self.build(report_type, period, unit)]
            content = file_format.render(exports[0])
        name = f"{asked.report_type.code}_{asked.period.label}_{exports[0].unit}.{extension}"
        return ExportFile(content, file_format.media_type, name)

    async def build(self, report_type: str, period: str, unit: str | None) -> Export:
        """The export of one rollup, each row with its status as of now."""
        reading = await (
            self.reader.for_unit(report_type, period, unit)
            if unit is not None
            else self.reader.national(report_type, period)
        )
        head = reading.figures
        known = self.reader.catalog.report_types[head.report_type]
        parsed = Period.parse(head.period)
        approvals = await self.approvals.approvals(
            known.code,
            [part.label for part in reporting_periods(known, parsed)],
            covering_units(reading),
        )
        return build_export(
            known,
            parsed,
            _rows_of(reading),
            parent=head.unit.parent,
            approvals=approvals,
            now=self.clock.now(),
        )


def _rows_of(reading: RollupReading) -> dict[str, Any]:
    """The keys of a reading that ``build_export`` reads (it takes the read API's body)."""
    rows = _row_of(reading.figures)
    if reading.own is not None:
        rows["own"] = _row_of(reading.own)
    if reading.children is not None:
        rows["children"] = [_row_of(child) for child in reading.children]
    return rows


def _row_of(figures: UnitFigures) -> dict[str, Any]:
    return {
        "unit": figures.unit.code,
        "name": figures.unit.name,
        "level": figures.unit.level.value,
        "values": figures.values,
        "derived": figures.derived,
    }
