"""Exports of a small real round, read from the Central read API: CSV, SDMX-JSON, DHIS2."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from shared.clock import ClockSegment
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, submission

pytestmark = pytest.mark.integration

RT, PERIOD = "kl226-quarterly", "2026-Q4"
HANOI_COMMUNES = 126
INDICATORS, DERIVED = 12, 5


async def small_round(system: System) -> None:
    """Two Hà Nội communes and Hà Nội itself, one commune of Hồ Chí Minh City; Hà Nội's data
    approved by the province and accepted by Central; then time moves past every lock date."""
    reports = [
        submission("00070", docs_issued=80),
        submission("00073", docs_issued=60, conference_budget_spent=12.5),
        submission("01", docs_issued=15),
        submission("26506", docs_issued=40),
    ]
    for body in reports:
        response = await system.submit(body)
        assert response.status_code == 202, response.text
    for body in reports:
        assert (await system.settled(body["submission_id"]))["status"] == "accepted"
    connection = await asyncpg.connect(system.database_url)
    try:
        await connection.execute(
            "INSERT INTO approvals (report_type, period, unit, approved_by, approved_at,"
            " accepted_by, accepted_at) VALUES ($1, $2, '01', '01', now(), 'VN', now())",
            RT,
            PERIOD,
        )
    finally:
        await connection.close()
    system.clock.replace([ClockSegment(datetime.now(UTC), datetime(2027, 2, 1, tzinfo=UTC), 0)])


async def fetch(system: System, path: str) -> httpx.Response:
    response = await system.central_http.get(path)
    assert response.status_code == 200, response.text
    return response


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def value(rows: list[dict[str, str]], unit: str, indicator: str, figure: str = "total") -> str:
    (row,) = [
        r
        for r in rows
        if r["unit"] == unit and r["indicator"] == indicator and r["figure"] == figure
    ]
    return row["value"]


async def test_the_national_csv_lists_the_nation_and_every_province(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await small_round(system)

    response = await fetch(system, f"/v1/exports/{RT}/{PERIOD}.csv")

    rows = csv_rows(response)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{RT}_{PERIOD}_VN.csv"'
    )
    units = list(dict.fromkeys(r["unit"] for r in rows))
    assert units[0] == "VN"
    assert len(units) == 1 + 34
    assert len(rows) == 35 * (INDICATORS + DERIVED)
    assert value(rows, "VN", "docs_issued") == str(80 + 60 + 15 + 40)
    assert value(rows, "01", "docs_issued") == str(80 + 60 + 15)
    assert value(rows, "79", "docs_issued") == "40"
    assert value(rows, "48", "docs_issued") == ""  # Đà Nẵng sent nothing: empty, not 0
    statuses = {r["unit"]: (r["status"], r["approval"]) for r in rows}
    assert statuses["01"] == ("approved", "central_accepted")
    assert statuses["79"] == ("final", "")
    assert statuses["VN"] == ("final", "")  # not every province is approved


async def test_a_provinces_csv_holds_its_total_its_own_report_and_its_communes(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await small_round(system)

    rows = csv_rows(await fetch(system, f"/v1/exports/{RT}/{PERIOD}/01.csv"))

    assert len(rows) == (1 + 1 + HANOI_COMMUNES) * (INDICATORS + DERIVED)
    assert value(rows, "01", "docs_issued") == "155"
    assert value(rows, "01", "docs_issued", "report") == "15"
    assert value(rows, "00070", "docs_issued", "report") == "80"
    assert value(rows, "00073", "conference_budget_spent", "report") == "12.5"
    assert value(rows, "00004", "docs_issued", "report") == ""
    assert {r["parent"] for r in rows if r["level"] == "commune"} == {"01"}
    assert {(r["status"], r["approval"]) for r in rows} == {("approved", "central_accepted")}


async def test_a_communes_csv_is_its_report_with_its_status(start_system: SystemFactory) -> None:
    system = await start_system()
    await small_round(system)

    rows = csv_rows(await fetch(system, f"/v1/exports/{RT}/{PERIOD}/26506.csv"))

    assert {(r["unit"], r["parent"], r["figure"], r["status"]) for r in rows} == {
        ("26506", "79", "report", "final")
    }
    assert value(rows, "26506", "docs_issued", "report") == "40"


async def test_the_sdmx_message_describes_its_observations(start_system: SystemFactory) -> None:
    system = await start_system()
    await small_round(system)

    response = await fetch(system, f"/v1/exports/{RT}/{PERIOD}.sdmx.json")

    assert response.headers["content-type"] == "application/vnd.sdmx.data+json; version=2.0.0"
    message = response.json()
    (structure,) = message["data"]["structures"]
    (data_set,) = message["data"]["dataSets"]
    dimensions = {d["id"]: d for d in structure["dimensions"]["observation"]}
    attributes = {a["id"]: a for a in structure["attributes"]["observation"]}
    assert set(dimensions) == {"REF_AREA", "INDICATOR", "TIME_PERIOD"}
    assert set(attributes) == {"OBS_STATUS", "UNIT_MEASURE"}
    areas = [a["id"] for a in dimensions["REF_AREA"]["values"]]
    indicators = [i["id"] for i in dimensions["INDICATOR"]["values"]]
    assert areas[0] == "VN"
    assert len(areas) == 35
    assert len(indicators) == INDICATORS + DERIVED
    assert dimensions["TIME_PERIOD"]["values"][0]["id"] == PERIOD
    observations: dict[str, list[Any]] = data_set["observations"]
    assert len(observations) == 35 * (INDICATORS + DERIVED)

    def observation(area: str, indicator: str) -> tuple[Any, str]:
        found = observations[f"{areas.index(area)}:{indicators.index(indicator)}:0"]
        return found[0], attributes["OBS_STATUS"]["values"][found[1]]["id"]

    assert observation("01", "docs_issued") == (155, "ACCEPTED")
    assert observation("79", "docs_issued") == (40, "A")
    assert observation("48", "docs_issued") == (None, "A")
    assert message["meta"]["prepared"].startswith("2027-02-01T")


async def test_the_dhis2_data_value_set_imports_by_code(start_system: SystemFactory) -> None:
    system = await start_system()
    await small_round(system)

    response = await fetch(system, f"/v1/exports/{RT}/{PERIOD}/01.dhis2.json")

    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert (document["dataSet"], document["period"], document["orgUnit"]) == (RT, "2026Q4", "01")
    values = document["dataValues"]
    assert {v["orgUnit"] for v in values} == {"01", "00070", "00073"}
    assert len(values) == 3 * INDICATORS  # every indicator of each report; nobody else's
    assert {v["period"] for v in values} == {"2026Q4"}
    docs = {v["orgUnit"]: v["value"] for v in values if v["dataElement"] == "docs_issued"}
    assert docs == {"01": "15", "00070": "80", "00073": "60"}
    assert {v["comment"] for v in values} == {"approved:central_accepted"}


async def test_a_year_goes_to_dhis2_as_its_quarters_never_as_a_yearly_value(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await small_round(system)

    document = (await fetch(system, f"/v1/exports/{RT}/2026/01.dhis2.json")).json()

    assert "period" not in document  # each value names its own
    values = document["dataValues"]
    assert {v["period"] for v in values} == {"2026Q4"}  # only Q4 has reports; no "2026"
    docs = {v["orgUnit"]: v["value"] for v in values if v["dataElement"] == "docs_issued"}
    assert docs == {"01": "15", "00070": "80", "00073": "60"}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/v1/exports/nope/2026-Q4.csv", "unknown_report_type"),
        ("/v1/exports/kl226-quarterly/2026-03.sdmx.json", "invalid_period"),
        ("/v1/exports/kl226-quarterly/2026-Q4/99999.dhis2.json", "unknown_unit"),
    ],
)
async def test_an_export_of_nothing_known_is_404(
    start_system: SystemFactory, path: str, reason: str
) -> None:
    system = await start_system()

    response = await system.central_http.get(path)

    assert response.status_code == 404
    assert response.json()["reason"] == reason
