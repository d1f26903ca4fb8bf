"""Provinces are processed in parallel: a batch is split by province into partitions, each in a
transaction of its own, so a province held up (its row locked by another replica's long
transaction) does not hold up the provinces of other partitions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest

from services.aggregator.domain.partitions import partition_of
from shared.schemas import Verdict
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, eventually, submission

pytestmark = pytest.mark.integration

RT, PERIOD = "kl226-quarterly", "2026-Q4"
HOAN_KIEM, VUNG_TAU = "00070", "26506"  # communes of Hà Nội (01) and Hồ Chí Minh City (79)


async def verdict_of(system: System, submission_id: str) -> Verdict:
    connection = await asyncpg.connect(system.database_url)
    try:
        stored = await connection.fetchval(
            "SELECT verdict FROM submissions WHERE submission_id = $1", submission_id
        )
    finally:
        await connection.close()
    return Verdict.model_validate_json(stored)  # jsonb as text on a plain connection


def corrected(verdict: Verdict, docs_issued: int) -> Verdict:
    return verdict.model_copy(
        update={
            "submission_id": str(uuid.uuid4()),
            "received_at": verdict.received_at + timedelta(hours=1),
            "stream_seq": verdict.stream_seq + 100,
            "values": {**(verdict.values or {}), "docs_issued": docs_issued},
        }
    )


async def test_a_province_held_up_does_not_hold_up_another_partition(
    start_system: SystemFactory,
) -> None:
    assert partition_of("01", 4) != partition_of("79", 4)
    system = await start_system()
    firsts = [submission(HOAN_KIEM, docs_issued=10), submission(VUNG_TAU, docs_issued=20)]
    for body in firsts:
        assert (await system.submit(body)).status_code == 202
    for body in firsts:
        await system.settled(body["submission_id"])
    hanoi, hcmc = [await verdict_of(system, b["submission_id"]) for b in firsts]
    assert system.aggregator.service is not None
    service = system.aggregator.service

    async def docs(province: str) -> object:
        body = await system.rollup(f"/v1/rollups/{RT}/{PERIOD}/{province}")
        return body["values"]["docs_issued"]

    holder = await asyncpg.connect(system.database_url)
    transaction = holder.transaction()
    await transaction.start()
    try:
        await holder.execute(
            "SELECT 1 FROM province_rollups WHERE report_type = $1 AND period = $2"
            " AND province = '01' FOR UPDATE",
            RT,
            PERIOD,
        )
        batch = asyncio.create_task(service.apply([corrected(hanoi, 11), corrected(hcmc, 21)]))

        async def hcmc_moved() -> bool:
            return await docs("79") == 21

        await eventually(hcmc_moved, timeout=10)
        assert await docs("01") == 10  # still waiting for its row
        assert not batch.done()  # the batch is settled only once every partition is done
    finally:
        await transaction.rollback()
        await holder.close()
    await asyncio.wait_for(batch, 10)
    assert await docs("01") == 11
