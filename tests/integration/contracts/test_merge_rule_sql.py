"""The upsert's SQL keeps the report the domain's merge rule chooses (``domain.latest.merged``),
checked against PostgreSQL over generated reports written one after another in any order."""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.aggregator.adapters.latest_reports_sql import (
    REPORT_COLUMNS,
    Connection,
    report_of,
    upsert_latest,
)
from services.aggregator.domain.latest import StoredReport, merged_report
from shared.db import create_pool
from shared.periods import VIETNAM
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KEY = ("kl226-quarterly", "2026-Q4", "00070")
T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)

# Few distinct instants, sequences and ids, so that ties on every part of the order come up;
# one instant written in Vietnam's time zone, equal to another written in UTC.
reports = st.builds(
    StoredReport,
    unit=st.just(KEY[2]),
    submission_id=st.sampled_from(["sub-a", "sub-b", "sub-c"]),
    received_at=st.sampled_from(
        [T0, T0 + timedelta(minutes=1), (T0 + timedelta(minutes=1)).astimezone(VIETNAM)]
    ),
    timeliness=st.sampled_from(["on_time", "late"]),
    values=st.fixed_dictionaries({"docs_issued": st.integers(0, 3)}),
    stream_seq=st.integers(1, 2),
)


async def _kept_after_writing(
    pool: asyncpg.Pool[Any], sequence: list[StoredReport]
) -> StoredReport:
    async with pool.acquire() as connection:
        return await _write_and_read(connection, sequence)


async def _write_and_read(connection: Connection, sequence: list[StoredReport]) -> StoredReport:
    await connection.execute(
        "DELETE FROM latest_reports WHERE report_type = $1 AND period = $2 AND unit = $3", *KEY
    )
    for report in sequence:  # one statement each, as batches arrive one after another
        await upsert_latest(connection, [(KEY, "01", report)])
    row = await connection.fetchrow(
        f"SELECT {REPORT_COLUMNS} FROM latest_reports"
        " WHERE report_type = $1 AND period = $2 AND unit = $3",
        *KEY,
    )
    assert row is not None
    return report_of(row)


def test_the_row_the_upsert_keeps_is_the_one_the_merge_rule_chooses(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    # As the aggregator logs in: its role's grants are part of what is checked.
    pool = loop.run_until_complete(
        create_pool(service_url(database_url, "aggregator"), min_size=1, max_size=1)
    )
    try:

        @settings(
            max_examples=200,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        )
        @given(st.lists(reports, min_size=1, max_size=5))
        def check(sequence: list[StoredReport]) -> None:
            kept = loop.run_until_complete(_kept_after_writing(pool, sequence))
            chosen = functools.reduce(merged_report, sequence[1:], sequence[0])
            assert kept == chosen

        check()
    finally:
        loop.run_until_complete(pool.close())
        loop.close()
