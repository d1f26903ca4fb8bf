"""Exports of a rollup with its children: CSV, SDMX-JSON 2.0 and a DHIS2 dataValueSet.

Pure: the renderers take the rollup as the read API returns it, the approvals on record and
the time, and return bytes or documents. Reading them is the export use case's job
(``services/aggregator/usecases/exports.py``).
"""

from services.aggregator.exports.model import (
    Approval,
    Export,
    Figure,
    ObservationStatus,
    Status,
    UnitFigures,
    build_export,
)

__all__ = [
    "Approval",
    "Export",
    "Figure",
    "ObservationStatus",
    "Status",
    "UnitFigures",
    "build_export",
]
