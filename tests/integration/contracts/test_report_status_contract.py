"""The report status's read (usecases/report_status.py:ReportStatusRows), one contract run
against the in-memory fake and PostgreSQL: what the verdict store recorded, read back by
province or unit for one report, whatever the verdict; and the index that serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.validator.adapters.report_status_store import ReportStatusStore
from services.validator.adapters.verdict_store import VerdictStore
from services.validator.domain.report_status import Submitted
from services.validator.usecases.ports import VerdictRecords
from services.validator.usecases.report_status import ReportStatusRows
from shared.db import create_pool
from shared.schemas import Reason, Verdict
from tests.fakes.validator import InMemoryValidatorTables, InMemoryVerdictStore
from tests.fakes.validator_report_status import InMemoryReportStatusStore
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KL226, LG2, Q4, Q3 = "kl226-quarterly", "lg2-monthly", "2026-Q4", "2026-Q3"
HA_NOI, HOAN_KIEM, CUA_NAM, HO_CHI_MINH, THU_DAU_MOT = "01", "00070", "00073", "79", "25747"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
BROKEN = Reason(
    code="rule_violated",
    message="Tổng không khớp",
    message_en="The total does not add up",
    indicator="conferences_in_person",
    rule="conferences_split",
)


@dataclass
class Stores:
    verdicts: VerdictRecords
    statuses: ReportStatusRows


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        tables = InMemoryValidatorTables()
        yield Stores(InMemoryVerdictStore(tables), InMemoryReportStatusStore(tables))
        return
    # As the validator logs in: its role reads its own table.
    pool = await create_pool(service_url(backend, "validator"), min_size=1, max_size=2)
    try:
        yield Stores(VerdictStore(pool), ReportStatusStore(pool))
    finally:
        await pool.close()


def verdict(
    submission_id: str,
    unit: str,
    province: str | None,
    *,
    accepted: bool = True,
    late: bool = False,
    report_type: str = KL226,
    period: str = Q4,
    seq: int = 1,
) -> Verdict:
    return Verdict(
        submission_id=submission_id,
        report_type=report_type,
        period=period,
        unit=unit,
        province=province,
        status="accepted" if accepted else "rejected",
        reasons=[] if accepted else [BROKEN],
        warnings=[BROKEN] if accepted else [],  # a warning is no reason
        timeliness=("late" if late else "on_time") if accepted else None,
        received_at=NOW + timedelta(minutes=seq),
        stream_seq=seq,
        values={"docs_issued": 80} if accepted else None,
    )


async def record(store: VerdictRecords, *verdicts: Verdict) -> None:
    documents = {v.submission_id: v.model_dump_json() for v in verdicts}
    await store.record(list(verdicts), documents, NOW)


def read(v: Verdict) -> Submitted:
    """What the read gives back for a verdict recorded."""
    return Submitted(
        submission_id=v.submission_id,
        unit=v.unit,
        status=v.status,
        timeliness=v.timeliness,
        received_at=v.received_at,
        stream_seq=v.stream_seq,
        reasons=tuple(v.reasons),
    )


def by_id(rows: list[Submitted]) -> dict[str, Submitted]:
    return {r.submission_id: r for r in rows}


async def test_a_province_is_every_submission_of_the_report_by_it_and_its_communes(
    stores: Stores,
) -> None:
    own = verdict("own", HA_NOI, HA_NOI, seq=1)
    rejected = verdict("rejected", CUA_NAM, HA_NOI, accepted=False, seq=2)
    late = verdict("late", HOAN_KIEM, HA_NOI, late=True, seq=3)
    elsewhere = verdict("elsewhere", THU_DAU_MOT, HO_CHI_MINH, seq=4)
    other_period = verdict("q3", HOAN_KIEM, HA_NOI, period=Q3, seq=5)
    other_type = verdict("lg2", HOAN_KIEM, HA_NOI, report_type=LG2, period="2026-11", seq=6)
    await record(stores.verdicts, own, rejected, late, elsewhere, other_period, other_type)

    found = await stores.statuses.of_provinces(KL226, Q4, [HA_NOI])

    assert by_id(found) == {v.submission_id: read(v) for v in (own, rejected, late)}
    assert by_id(found)["rejected"].reasons == (BROKEN,)
    assert by_id(found)["late"].reasons == ()  # an acceptance's warnings are not reasons


async def test_several_provinces_at_once_and_none(stores: Stores) -> None:
    ha_noi = verdict("ha-noi", CUA_NAM, HA_NOI, seq=1)
    hcm = verdict("hcm", THU_DAU_MOT, HO_CHI_MINH, accepted=False, seq=2)
    unknown = verdict("unknown", "99999", None, accepted=False, seq=3)
    await record(stores.verdicts, ha_noi, hcm, unknown)

    both = await stores.statuses.of_provinces(KL226, Q4, [HA_NOI, HO_CHI_MINH, "02"])
    none = await stores.statuses.of_provinces(KL226, Q4, [])

    assert by_id(both) == {"ha-noi": read(ha_noi), "hcm": read(hcm)}
    assert none == []


async def test_a_unit_is_every_submission_of_the_report_by_it_alone(stores: Stores) -> None:
    first = verdict("first", CUA_NAM, HA_NOI, accepted=False, seq=1)
    second = verdict("second", CUA_NAM, HA_NOI, late=True, seq=2)
    neighbour = verdict("neighbour", HOAN_KIEM, HA_NOI, seq=3)
    other_period = verdict("q3", CUA_NAM, HA_NOI, period=Q3, seq=4)
    await record(stores.verdicts, first, second, neighbour, other_period)

    found = await stores.statuses.of_unit(KL226, Q4, CUA_NAM)
    nothing = await stores.statuses.of_unit(KL226, Q4, "00004")

    assert by_id(found) == {"first": read(first), "second": read(second)}
    assert nothing == []


# The index (PostgreSQL only): each read can be served by an index, not by scanning the table.


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET enable_seqscan = off")
        yield connection
    finally:
        await connection.close()


async def plan(connection: asyncpg.Connection[Any], sql: str, *args: object) -> str:
    rows = await connection.fetch("EXPLAIN " + sql, *args)
    return "\n".join(r[0] for r in rows)


PROVINCE_READ = (
    "SELECT submission_id FROM submissions"
    " WHERE province = ANY($3::text[]) AND report_type = $1 AND period = $2"
)


async def test_a_province_or_the_country_is_read_through_submissions_by_province(
    owner: asyncpg.Connection[Any],
) -> None:
    province = await plan(owner, PROVINCE_READ, KL226, Q4, [HA_NOI])
    country = await plan(owner, PROVINCE_READ, KL226, Q4, [f"{n:02d}" for n in range(1, 97)])

    assert "submissions_by_province" in province
    assert "submissions_by_province" in country


async def test_the_hot_paths_lookup_by_unit_keeps_its_own_index(
    owner: asyncpg.Connection[Any],
) -> None:
    by_unit = await plan(
        owner,
        "SELECT verdict FROM submissions WHERE report_type = $1 AND period = $2 AND unit = $3"
        " AND status = 'accepted' ORDER BY received_at DESC, stream_seq DESC LIMIT 1",
        KL226,
        Q4,
        HOAN_KIEM,
    )

    # VerdictStore.history's shape: served by an index on the unit, never by the new one.
    assert "submissions_by_province" not in by_unit
