"""The export use case on the in-memory stores: which rollups a file holds, which approvals
cover its rows, and the file's name and type (the renderers themselves: tests/unit/test_exports.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from services.aggregator.exports import Approval, Status
from services.aggregator.exports.csv_format import MEDIA_TYPE as CSV
from services.aggregator.usecases.exports import Exporter, covering_units
from shared.clock import FixedClock
from shared.refusals import Kind, NotFound
from tests.fakes.aggregator import InMemoryApprovalStatus
from tests.unit.test_aggregator_usecases import (
    BA_DINH,
    CUA_NAM,
    HA_NOI,
    HOAN_KIEM,
    KL226,
    Q4,
    VUNG_TAU,
    System,
    verdict,
)

BEFORE_ANY_LOCK = datetime(2026, 12, 20, tzinfo=UTC)


@pytest.fixture
async def system() -> System:
    system = System()
    await system.aggregation.apply(
        [verdict(HOAN_KIEM), verdict(BA_DINH, docs_issued=20), verdict(VUNG_TAU, docs_issued=5)]
    )
    return system


def exporter(system: System, approvals: InMemoryApprovalStatus | None = None) -> Exporter:
    return Exporter(
        system.rollups, approvals or InMemoryApprovalStatus(), FixedClock(BEFORE_ANY_LOCK)
    )


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_a_file_is_named_by_report_type_period_and_unit_and_typed_by_its_format(
    system: System,
) -> None:
    national = await exporter(system).export(KL226, Q4, None, "csv")
    province = await exporter(system).export(KL226, Q4, HA_NOI, "sdmx.json")

    assert (national.filename, national.media_type) == (f"{KL226}_{Q4}_VN.csv", CSV)
    assert province.filename == f"{KL226}_{Q4}_{HA_NOI}.sdmx.json"
    assert province.media_type.startswith("application/vnd.sdmx.data+json")
    assert {row["unit"] for row in csv_rows(national.content)} == {"VN"} | {
        child.unit.code for child in (await system.rollups.national(KL226, Q4)).children or ()
    }


async def test_a_communes_report_is_approved_by_its_provinces_approval(system: System) -> None:
    approvals = InMemoryApprovalStatus()
    approvals.record(KL226, Q4, HA_NOI, Approval.PROVINCE_APPROVED)

    export = await exporter(system, approvals).build(KL226, Q4, HOAN_KIEM)

    (row,) = export.rows
    assert row.unit == HOAN_KIEM
    assert row.parent == HA_NOI
    assert (row.status.status, row.status.approval) == (Status.APPROVED, Approval.PROVINCE_APPROVED)


async def test_a_province_approval_covers_its_total_and_communes_but_not_the_nation(
    system: System,
) -> None:
    approvals = InMemoryApprovalStatus()
    approvals.record(KL226, Q4, HA_NOI, Approval.CENTRAL_ACCEPTED)

    province = await exporter(system, approvals).build(KL226, Q4, HA_NOI)
    national = await exporter(system, approvals).build(KL226, Q4, None)

    assert {row.unit for row in province.rows} >= {HA_NOI, HOAN_KIEM, CUA_NAM}
    assert {row.status.approval for row in province.rows} == {Approval.CENTRAL_ACCEPTED}
    by_unit = {row.unit: row.status.status for row in national.rows}
    assert by_unit.pop(HA_NOI) == Status.APPROVED
    assert by_unit.pop("VN") == Status.PROVISIONAL  # the nation waits for every province
    assert Status.APPROVED not in by_unit.values()


async def test_the_units_asked_for_approvals_are_the_head_its_children_and_a_communes_province(
    system: System,
) -> None:
    national = await system.rollups.national(KL226, Q4)
    commune = await system.rollups.for_unit(KL226, Q4, HOAN_KIEM)

    assert covering_units(national) == {"VN"} | {c.unit.code for c in national.children or ()}
    assert len(covering_units(national)) == 35
    assert covering_units(commune) == {HOAN_KIEM, HA_NOI}


async def test_a_dhis2_year_of_a_quarterly_report_goes_as_its_four_quarters(
    system: System,
) -> None:
    await system.aggregation.apply([verdict(HOAN_KIEM, period="2026-Q1", docs_issued=11)])

    year = await exporter(system).export(KL226, "2026", HOAN_KIEM, "dhis2.json")
    quarter = await exporter(system).export(KL226, Q4, HOAN_KIEM, "dhis2.json")

    document = json.loads(year.content)
    assert year.filename == f"{KL226}_2026_{HOAN_KIEM}.dhis2.json"
    assert "period" not in document  # each value names its own quarter
    docs_issued = {
        v["period"]: v["value"] for v in document["dataValues"] if v["dataElement"] == "docs_issued"
    }
    assert docs_issued == {"2026Q1": "11", "2026Q4": "80"}
    assert json.loads(quarter.content)["period"] == "2026Q4"


async def test_a_csv_year_is_one_total_not_split_by_quarter(system: System) -> None:
    year = await exporter(system).export(KL226, "2026", HOAN_KIEM, "csv")

    assert {row["period"] for row in csv_rows(year.content)} == {"2026"}


@pytest.mark.parametrize(
    ("report_type", "period", "unit", "reason"),
    [
        ("nope", Q4, None, "unknown_report_type"),
        (KL226, "2026-13", None, "invalid_period"),
        (KL226, "2026-03", HA_NOI, "invalid_period"),  # a month of a quarterly report
        (KL226, Q4, "99999", "unknown_unit"),
    ],
)
async def test_an_export_of_nothing_by_that_name_is_refused_as_not_found(
    system: System, report_type: str, period: str, unit: str | None, reason: str
) -> None:
    with pytest.raises(NotFound) as refused:
        await exporter(system).export(report_type, period, unit, "csv")

    assert refused.value.reason == reason
    assert refused.value.kind == Kind.NOT_FOUND
