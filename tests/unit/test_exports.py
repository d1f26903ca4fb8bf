"""The export renderers: CSV, SDMX-JSON 2.0 and DHIS2 dataValueSet, and observation statuses."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest

from services.aggregator.exports import Approval, Export, Status, build_export
from services.aggregator.exports.csv_format import COLUMNS, render_csv
from services.aggregator.exports.dhis2 import render_dhis2
from services.aggregator.exports.model import Approvals
from services.aggregator.exports.periods import dhis2_period, reporting_periods, sdmx_period
from services.aggregator.exports.sdmx import render_sdmx
from shared.catalog import Catalog, ReportType
from shared.periods import VIETNAM, Period

CATALOG = Catalog.load()
KL226 = CATALOG.report_types["kl226-quarterly"]
Q4 = Period.parse("2026-Q4")
BEFORE_ANY_LOCK = datetime(2026, 12, 20, tzinfo=VIETNAM)
# 2026-Q4 locks for communes at the end of 16 January 2027, for provinces of 24 January.
COMMUNES_LOCKED = datetime(2027, 1, 20, tzinfo=VIETNAM)
ALL_LOCKED = datetime(2027, 2, 1, tzinfo=VIETNAM)


def values(report_type: ReportType = KL226, **given: int | float) -> dict[str, Any]:
    return {i.code: given.get(i.code) for i in report_type.indicators}


def body(
    unit: str,
    name: str,
    level: str,
    *,
    figures: dict[str, Any] | None = None,
    children: list[dict[str, Any]] | None = None,
    own: dict[str, Any] | None = None,
    report_type: ReportType = KL226,
    period: str = "2026-Q4",
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "report_type": report_type.code,
        "period": period,
        "unit": unit,
        "name": name,
        "level": level,
        "values": figures if figures is not None else values(report_type),
        "derived": {d.code: {"value": None} for d in report_type.derived},
        "completeness": {},
    }
    if children is not None:
        result["children"] = children
    if own is not None:
        result["own"] = own
    return result


HOAN_KIEM = body(
    "00070",
    "Phường Hoàn Kiếm",
    "commune",
    figures=values(docs_issued=80, docs_issued_prev_year=100, conference_budget_spent=40.25),
)
CUA_NAM = body("00073", "Phường Cửa Nam", "commune")  # has not reported
HANOI = body(
    "01",
    "Thành phố Hà Nội",
    "province",
    figures=values(docs_issued=95, docs_issued_prev_year=120, conference_budget_spent=1234.5),
    own=body("01", "Thành phố Hà Nội", "province", figures=values(docs_issued=15)),
    children=[HOAN_KIEM, CUA_NAM],
)


def export_of(
    rollup: dict[str, Any],
    *,
    parent: str | None = "VN",
    approvals: Approvals | None = None,
    now: datetime = BEFORE_ANY_LOCK,
    report_type: ReportType = KL226,
) -> Export:
    return build_export(
        report_type,
        Period.parse(rollup["period"]),
        rollup,
        parent=parent,
        approvals=approvals or {},
        now=now,
    )


def csv_rows(export: Export) -> list[dict[str, str]]:
    text = render_csv(export).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def status_of(export: Export, unit: str, figure: str = "total") -> tuple[Status, Approval | None]:
    row = next(r for r in export.rows if r.unit == unit and r.figure.value == figure)
    return row.status.status, row.status.approval


# --- CSV ---------------------------------------------------------------------------------


def test_the_csv_has_one_line_per_unit_and_indicator_under_a_header() -> None:
    rows = csv_rows(export_of(HANOI))

    per_unit = len(KL226.indicators) + len(KL226.derived)
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 4 * per_unit  # the total, the province's own report, two communes
    assert [(r["unit"], r["figure"]) for r in rows[::per_unit]] == [
        ("01", "total"),
        ("01", "report"),
        ("00070", "report"),
        ("00073", "report"),
    ]


def test_the_csv_carries_indicator_metadata_and_the_hierarchy() -> None:
    rows = csv_rows(export_of(HANOI))

    docs = next(r for r in rows if r["unit"] == "00070" and r["indicator"] == "docs_issued")
    assert docs == {
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": "00070",
        "unit_name": "Phường Hoàn Kiếm",
        "level": "commune",
        "parent": "01",
        "figure": "report",
        "indicator": "docs_issued",
        "indicator_title": "Số văn bản ban hành trong kỳ",
        "unit_of_measure": "document",
        "aggregation": "sum",
        "value": "80",
        "status": "provisional",
        "approval": "",
    }
    derived = next(r for r in rows if r["indicator"] == "docs_reduction_pct")
    assert derived["aggregation"] == "derived"
    total = next(r for r in rows if r["unit"] == "01" and r["figure"] == "total")
    assert total["parent"] == "VN"


def test_a_missing_value_is_an_empty_cell_never_zero() -> None:
    rows = csv_rows(export_of(HANOI))

    cua_nam = [r for r in rows if r["unit"] == "00073"]
    assert cua_nam
    assert {r["value"] for r in cua_nam} == {""}
    zero = next(r for r in rows if r["unit"] == "00070" and r["indicator"] == "procedures_total")
    assert zero["value"] == ""  # not reported in this body: empty, not "0"


def test_decimals_are_written_as_they_are_without_exponent() -> None:
    rows = csv_rows(export_of(HANOI))

    spent = {
        (r["unit"], r["figure"]): r["value"]
        for r in rows
        if r["indicator"] == "conference_budget_spent"
    }
    assert spent[("00070", "report")] == "40.25"
    assert spent[("01", "total")] == "1234.5"


def test_the_csv_starts_with_a_byte_order_mark_for_spreadsheets() -> None:
    raw = render_csv(export_of(HANOI))

    assert raw.startswith("\ufeff".encode())
    assert "Phường Hoàn Kiếm" in raw.decode("utf-8-sig")


# --- statuses ----------------------------------------------------------------------------


def test_before_the_lock_dates_everything_is_provisional() -> None:
    export = export_of(HANOI, now=BEFORE_ANY_LOCK)

    assert {r.status.status for r in export.rows} == {Status.PROVISIONAL}


def test_each_level_becomes_final_at_its_own_lock_date() -> None:
    export = export_of(HANOI, now=COMMUNES_LOCKED)

    assert status_of(export, "00070", "report") == (Status.FINAL, None)
    assert status_of(export, "01", "report") == (Status.PROVISIONAL, None)
    # The province's total draws on both levels: final only once both have locked.
    assert status_of(export, "01") == (Status.PROVISIONAL, None)
    assert status_of(export_of(HANOI, now=ALL_LOCKED), "01") == (Status.FINAL, None)


def test_the_lock_instant_itself_is_not_yet_final() -> None:
    locks_at = datetime(2027, 1, 16, 23, 59, 59, tzinfo=VIETNAM)

    assert status_of(export_of(HANOI, now=locks_at), "00070", "report")[0] == Status.PROVISIONAL


def test_a_provinces_approval_covers_its_communes_and_its_own_report() -> None:
    export = export_of(HANOI, approvals={("2026-Q4", "01"): Approval.PROVINCE_APPROVED})

    assert {(r.unit, r.status.status, r.status.approval) for r in export.rows} == {
        ("01", Status.APPROVED, Approval.PROVINCE_APPROVED),
        ("00070", Status.APPROVED, Approval.PROVINCE_APPROVED),
        ("00073", Status.APPROVED, Approval.PROVINCE_APPROVED),
    }


def test_a_communes_own_approval_covers_that_commune_only() -> None:
    export = export_of(
        HANOI, approvals={("2026-Q4", "00070"): Approval.CENTRAL_ACCEPTED}, now=ALL_LOCKED
    )

    assert status_of(export, "00070", "report") == (Status.APPROVED, Approval.CENTRAL_ACCEPTED)
    assert status_of(export, "00073", "report") == (Status.FINAL, None)
    assert status_of(export, "01") == (Status.FINAL, None)


def test_the_csv_says_whether_central_has_accepted() -> None:
    rows = csv_rows(export_of(HANOI, approvals={("2026-Q4", "01"): Approval.CENTRAL_ACCEPTED}))

    assert {(r["status"], r["approval"]) for r in rows} == {("approved", "central_accepted")}


def test_the_nation_is_approved_only_when_every_province_is() -> None:
    saigon = body("79", "Thành phố Hồ Chí Minh", "province")
    nation = body("VN", "Việt Nam", "central", children=[HANOI | {"children": []}, saigon])
    one = {("2026-Q4", "01"): Approval.CENTRAL_ACCEPTED}
    both = one | {("2026-Q4", "79"): Approval.PROVINCE_APPROVED}

    assert status_of(export_of(nation, parent=None, approvals=one), "VN")[0] == Status.PROVISIONAL
    assert status_of(export_of(nation, parent=None, approvals=both), "VN") == (
        Status.APPROVED,
        Approval.PROVINCE_APPROVED,  # the weakest of its provinces
    )


def test_a_years_total_counts_each_quarter() -> None:
    year = Period.parse("2026")
    quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    commune = body("00070", "Phường Hoàn Kiếm", "commune", period="2026")
    three = {(q, "01"): Approval.CENTRAL_ACCEPTED for q in quarters[:3]}
    four = three | {("2026-Q4", "01"): Approval.PROVINCE_APPROVED}

    assert [p.label for p in reporting_periods(KL226, year)] == quarters
    assert status_of(export_of(commune, parent="01", approvals=three), "00070", "report") == (
        Status.PROVISIONAL,
        None,
    )
    assert status_of(export_of(commune, parent="01", approvals=four), "00070", "report") == (
        Status.APPROVED,
        Approval.PROVINCE_APPROVED,
    )
    # Final once its last quarter has locked, not its first.
    spring = datetime(2026, 6, 1, tzinfo=VIETNAM)
    assert status_of(export_of(commune, parent="01", now=spring), "00070", "report")[0] == (
        Status.PROVISIONAL
    )
    assert status_of(export_of(commune, parent="01", now=ALL_LOCKED), "00070", "report")[0] == (
        Status.FINAL
    )


# --- DHIS2 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "dhis2", "sdmx"),
    [
        ("2026-01", "202601", "2026-01"),
        ("2026-12", "202612", "2026-12"),
        ("2026-Q1", "2026Q1", "2026-Q1"),
        ("2026-Q4", "2026Q4", "2026-Q4"),
        ("2026-H1", "2026S1", "2026-S1"),
        ("2026-H2", "2026S2", "2026-S2"),
        ("2026", "2026", "2026"),
    ],
)
def test_periods_in_dhis2_and_sdmx_notation(label: str, dhis2: str, sdmx: str) -> None:
    period = Period.parse(label)

    assert (dhis2_period(period), sdmx_period(period)) == (dhis2, sdmx)


def test_a_data_value_set_holds_what_units_reported_never_the_total_of_them() -> None:
    document = render_dhis2(
        export_of(HANOI, approvals={("2026-Q4", "01"): Approval.CENTRAL_ACCEPTED})
    )

    assert (document["dataSet"], document["period"], document["orgUnit"]) == (
        "kl226-quarterly",
        "2026Q4",
        "01",
    )
    docs = {
        v["orgUnit"]: v["value"]
        for v in document["dataValues"]
        if v["dataElement"] == "docs_issued"
    }
    # The province's own report and its reporting commune; 95 is the total DHIS2 computes itself.
    assert docs == {"01": "15", "00070": "80"}
    assert all(v["period"] == "2026Q4" for v in document["dataValues"])
    assert {v["comment"] for v in document["dataValues"]} == {"approved:central_accepted"}


def test_a_data_value_set_omits_missing_values_and_derived_indicators() -> None:
    document = render_dhis2(export_of(HANOI))

    assert "00073" not in {v["orgUnit"] for v in document["dataValues"]}
    assert {v["dataElement"] for v in document["dataValues"]} <= {i.code for i in KL226.indicators}
    assert all(isinstance(v["value"], str) and v["value"] != "" for v in document["dataValues"])
    assert len(document["dataValues"]) == 3 + 1  # 00070's three figures, 01's own one


def test_the_nations_data_value_set_holds_the_provinces_totals() -> None:
    nation = body("VN", "Việt Nam", "central", children=[HANOI | {"children": []}])

    document = render_dhis2(export_of(nation, parent=None))

    assert document["orgUnit"] == "VN"
    assert {v["orgUnit"] for v in document["dataValues"]} == {"01"}
    docs = next(v for v in document["dataValues"] if v["dataElement"] == "docs_issued")
    assert docs["value"] == "95"


# --- SDMX-JSON ---------------------------------------------------------------------------


def sdmx_of(export: Export) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    message = render_sdmx(export)
    (structure,) = message["data"]["structures"]
    (data_set,) = message["data"]["dataSets"]
    return message, structure, data_set


def test_an_sdmx_message_has_the_parts_the_2_0_schema_requires() -> None:
    message, structure, data_set = sdmx_of(export_of(HANOI))

    meta = message["meta"]
    assert {"id", "prepared", "sender"} <= set(meta)
    assert meta["schema"].endswith("/2.0.0/sdmx-json-data-schema.json")
    assert meta["sender"]["id"] == "BAOCAO"
    assert meta["contentLanguages"] == ["vi", "en"]
    dimensions = structure["dimensions"]["observation"]
    assert [(d["id"], d["keyPosition"]) for d in dimensions] == [
        ("REF_AREA", 0),
        ("INDICATOR", 1),
        ("TIME_PERIOD", 2),
    ]
    attributes = structure["attributes"]["observation"]
    assert [a["id"] for a in attributes] == ["OBS_STATUS", "UNIT_MEASURE"]
    assert all("relationship" in a and a["values"] for a in attributes)
    assert structure["measures"]["observation"][0]["id"] == "OBS_VALUE"
    assert data_set["structure"] == 0
    assert data_set["action"] == "Information"
    assert data_set["links"][0]["rel"] == "dataflow"


def test_sdmx_observations_point_into_the_structure() -> None:
    _, structure, data_set = sdmx_of(export_of(HANOI, now=COMMUNES_LOCKED))

    areas, indicators, periods = (d["values"] for d in structure["dimensions"]["observation"])
    statuses, units = (a["values"] for a in structure["attributes"]["observation"])
    observations = data_set["observations"]
    assert [a["id"] for a in areas] == ["01", "00070", "00073"]  # own report: within 01's total
    assert [a.get("parent") for a in areas] == ["VN", "01", "01"]
    assert [p["id"] for p in periods] == ["2026-Q4"]
    assert len(observations) == len(areas) * len(indicators)
    decoded = {}
    for key, (value, status, unit) in observations.items():
        area, indicator, period = (int(i) for i in key.split(":"))
        assert period == 0
        decoded[areas[area]["id"], indicators[indicator]["id"]] = (
            value,
            statuses[status]["id"],
            None if unit is None else units[unit]["id"],
        )
    assert decoded["00070", "docs_issued"] == (80, "A", "document")
    assert decoded["00073", "docs_issued"] == (None, "A", "document")  # missing: null, not 0
    assert decoded["01", "docs_issued"] == (95, "P", "document")
    assert decoded["01", "docs_reduction_pct"][2] is None


def test_sdmx_indicators_carry_their_titles_and_aggregation() -> None:
    _, structure, _ = sdmx_of(export_of(HANOI))

    annotations = structure["annotations"]
    indicators = structure["dimensions"]["observation"][1]["values"]
    docs = next(i for i in indicators if i["id"] == "docs_issued")
    assert docs["names"] == {
        "vi": "Số văn bản ban hành trong kỳ",
        "en": "Documents issued in the period",
    }
    assert [annotations[i]["value"] for i in docs["annotations"]] == ["sum"]
    derived = next(i for i in indicators if i["id"] == "docs_reduction_pct")
    assert {annotations[i]["type"]: annotations[i]["value"] for i in derived["annotations"]} == {
        "BAOCAO_AGGREGATION": "derived",
        "BAOCAO_FORMULA": next(d.formula for d in KL226.derived if d.code == "docs_reduction_pct"),
        "BAOCAO_TARGET": ">= 15",
    }


def test_sdmx_status_codes_say_who_approved() -> None:
    accepted = {("2026-Q4", "01"): Approval.CENTRAL_ACCEPTED}
    approved = {("2026-Q4", "01"): Approval.PROVINCE_APPROVED}

    for approvals, code in ((accepted, "ACCEPTED"), (approved, "APPROVED")):
        _, structure, data_set = sdmx_of(export_of(HANOI, approvals=approvals))
        statuses = structure["attributes"]["observation"][0]["values"]
        assert {statuses[obs[1]]["id"] for obs in data_set["observations"].values()} == {code}
