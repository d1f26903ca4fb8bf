"""SDMX-JSON 2.0.0 data message: a flat list of observations over REF_AREA × INDICATOR ×
TIME_PERIOD, with OBS_STATUS and UNIT_MEASURE attributes and the indicators' metadata.

Rows are the rollup and its children (totals, or a commune's report); a province's own report
is part of its total and has no REF_AREA of its own here (the CSV and DHIS2 exports carry it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from services.aggregator.exports.model import (
    Approval,
    Export,
    Figure,
    ObservationStatus,
    Status,
    UnitFigures,
)
from services.aggregator.exports.periods import first_day, last_day, sdmx_period
from shared.periods import VIETNAM

MEDIA_TYPE = "application/vnd.sdmx.data+json; version=2.0.0"
SCHEMA = (
    "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/"
    "2.0.0/sdmx-json-data-schema.json"
)
AGENCY = "BAOCAO"
DATAFLOW_VERSION = "1.0"

# OBS_STATUS: P and A are SDMX's own codes (provisional; normal value), approval has none.
STATUS_CODES: dict[ObservationStatus, tuple[str, dict[str, str]]] = {
    ObservationStatus(Status.PROVISIONAL): ("P", {"vi": "Số liệu tạm thời", "en": "Provisional"}),
    ObservationStatus(Status.FINAL): (
        "A",
        {"vi": "Số liệu chính thức, kỳ báo cáo đã khóa", "en": "Final: the period is locked"},
    ),
    ObservationStatus(Status.APPROVED, Approval.PROVINCE_APPROVED): (
        "APPROVED",
        {"vi": "Đã được tỉnh phê duyệt", "en": "Approved by the province"},
    ),
    ObservationStatus(Status.APPROVED, Approval.CENTRAL_ACCEPTED): (
        "ACCEPTED",
        {
            "vi": "Đã được tỉnh phê duyệt và Trung ương chấp nhận",
            "en": "Approved by the province and accepted by Central",
        },
    ),
}


def dataflow_urn(report_type: str) -> str:
    return (
        "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="
        f"{AGENCY}:{report_type}({DATAFLOW_VERSION})"
    )


def render_sdmx(export: Export) -> dict[str, Any]:
    report_type = export.report_type
    rows = [row for row in export.rows if row.figure == Figure.TOTAL or not _has_total(export, row)]
    annotations = _Annotations()
    areas = [_area(row, annotations) for row in rows]
    indicators = [
        {
            "id": i.code,
            "name": i.title.vi,
            "names": {"vi": i.title.vi, "en": i.title.en},
            "annotations": [annotations.index("BAOCAO_AGGREGATION", i.aggregation.value)],
        }
        for i in report_type.indicators
    ] + [
        {
            "id": d.code,
            "name": d.title.vi,
            "names": {"vi": d.title.vi, "en": d.title.en},
            "annotations": [
                annotations.index("BAOCAO_AGGREGATION", "derived"),
                annotations.index("BAOCAO_FORMULA", d.formula),
                *(
                    [annotations.index("BAOCAO_TARGET", f"{d.target.operator} {d.target.value}")]
                    if d.target
                    else []
                ),
            ],
        }
        for d in report_type.derived
    ]
    units_of_measure = sorted({i.unit for i in report_type.indicators})
    unit_index = {i.code: units_of_measure.index(i.unit) for i in report_type.indicators}
    statuses = list(STATUS_CODES)
    observations: dict[str, list[Any]] = {}
    for area, row in enumerate(rows):
        status = statuses.index(row.status)
        for index, indicator in enumerate(report_type.indicators):
            observations[f"{area}:{index}:0"] = [
                row.values.get(indicator.code),
                status,
                unit_index[indicator.code],
            ]
        for offset, derived in enumerate(report_type.derived):
            key = f"{area}:{len(report_type.indicators) + offset}:0"
            observations[key] = [row.derived.get(derived.code), status, None]
    period = export.period
    link = {"urn": dataflow_urn(report_type.code), "rel": "dataflow"}
    structure = {
        "name": report_type.title.vi,
        "names": {"vi": report_type.title.vi, "en": report_type.title.en},
        "links": [link],
        "dimensions": {
            "dataSet": [],
            "series": [],
            "observation": [
                {
                    "id": "REF_AREA",
                    "name": "Đơn vị hành chính",
                    "names": {"vi": "Đơn vị hành chính", "en": "Administrative unit"},
                    "keyPosition": 0,
                    "roles": ["REF_AREA"],
                    "values": areas,
                },
                {
                    "id": "INDICATOR",
                    "name": "Chỉ tiêu",
                    "names": {"vi": "Chỉ tiêu", "en": "Indicator"},
                    "keyPosition": 1,
                    "values": indicators,
                },
                {
                    "id": "TIME_PERIOD",
                    "name": "Kỳ báo cáo",
                    "names": {"vi": "Kỳ báo cáo", "en": "Reporting period"},
                    "keyPosition": 2,
                    "roles": ["TIME_PERIOD"],
                    "values": [
                        {
                            "id": sdmx_period(period),
                            "name": period.label,
                            "start": _instant(first_day(period), time.min),
                            "end": _instant(last_day(period), time(23, 59, 59)),
                        }
                    ],
                },
            ],
        },
        "measures": {
            "observation": [
                {"id": "OBS_VALUE", "name": "Giá trị", "names": {"vi": "Giá trị", "en": "Value"}}
            ]
        },
        "attributes": {
            "dataSet": [],
            "series": [],
            "observation": [
                {
                    "id": "OBS_STATUS",
                    "name": "Trạng thái số liệu",
                    "names": {"vi": "Trạng thái số liệu", "en": "Observation status"},
                    "roles": ["OBS_STATUS"],
                    "relationship": {"observation": {}},
                    "values": [
                        {"id": code, "name": names["vi"], "names": names}
                        for code, names in STATUS_CODES.values()
                    ],
                },
                {
                    "id": "UNIT_MEASURE",
                    "name": "Đơn vị tính",
                    "names": {"vi": "Đơn vị tính", "en": "Unit of measure"},
                    "roles": ["UNIT_MEASURE"],
                    "relationship": {"dimensions": ["INDICATOR"]},
                    "values": [{"id": u, "name": u} for u in units_of_measure],
                },
            ],
        },
        "annotations": annotations.items,
        "dataSets": [0],
    }
    return {
        "meta": {
            "schema": SCHEMA,
            "id": _message_id(export),
            "test": False,
            "prepared": export.prepared.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "contentLanguages": ["vi", "en"],
            "sender": {"id": AGENCY, "name": "Baocao"},
        },
        "data": {
            "structures": [structure],
            "dataSets": [
                {
                    "structure": 0,
                    "action": "Information",
                    "links": [link],
                    "observations": observations,
                }
            ],
        },
    }


def _has_total(export: Export, row: UnitFigures) -> bool:
    """Whether ``row`` (a unit's own report) sits beside its unit's total in the export."""
    return any(r.unit == row.unit and r.figure == Figure.TOTAL for r in export.rows)


def _area(row: UnitFigures, annotations: _Annotations) -> dict[str, Any]:
    area: dict[str, Any] = {
        "id": row.unit,
        "name": row.name,
        "annotations": [annotations.index("BAOCAO_LEVEL", row.level.value)],
    }
    if row.parent:
        area["parent"] = row.parent
    return area


def _instant(day: date, at: time) -> str:
    return datetime.combine(day, at, VIETNAM).isoformat()


def _message_id(export: Export) -> str:
    stamp = export.prepared.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{AGENCY}-{export.report_type.code}-{export.period.label}-{export.unit}-{stamp}"


class _Annotations:
    """Structure annotations, each written once and referred to by index."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self._index: dict[tuple[str, str], int] = {}

    def index(self, kind: str, value: str) -> int:
        key = (kind, value)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append({"id": f"{kind}:{value}", "type": kind, "value": value})
        return self._index[key]
