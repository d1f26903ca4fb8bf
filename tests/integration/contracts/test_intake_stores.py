"""Intake's stores (receipts, a submission's status), one contract each, run against the
in-memory fakes and PostgreSQL.

Every test takes ``stores``, parametrized by implementation. The status is read from what the
validator and the aggregator wrote: the PostgreSQL arrangement writes those as they do.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.intake.adapters.receipts import ReceiptStore
from services.intake.adapters.status import StatusReader
from services.intake.domain.receipt import StoredReceipt
from services.intake.usecases.ports import ReceiptRecords, StatusRecords
from services.validator.adapters.verdict_store import VerdictStore
from shared.db import create_pool
from shared.schemas import Verdict
from tests.fakes.intake import InMemoryIntakeTables, InMemoryReceiptStore, InMemoryStatusReader
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KL226, Q4 = "kl226-quarterly", "2026-Q4"
HOAN_KIEM, HA_NOI = "00070", "01"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)


@dataclass
class Stores:
    receipts: ReceiptRecords
    statuses: StatusRecords
    judged: Callable[[Verdict], Awaitable[None]]  # as the validator records a verdict
    made_current: Callable[[Verdict], Awaitable[None]]  # as the aggregator folds a report


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        tables = InMemoryIntakeTables()
        reader = InMemoryStatusReader(tables)

        async def judged_fake(verdict: Verdict) -> None:
            reader.judged(verdict)

        async def current_fake(verdict: Verdict) -> None:
            reader.made_current(verdict)

        yield Stores(InMemoryReceiptStore(tables), reader, judged_fake, current_fake)
        return
    # The stores log in as intake does; the others' tables are written by the owner.
    pool = await create_pool(service_url(backend, "intake"), min_size=1, max_size=2)
    owner = await create_pool(backend, min_size=1, max_size=2)

    async def judged_real(verdict: Verdict) -> None:
        documents = {verdict.submission_id: verdict.model_dump_json()}
        await VerdictStore(owner).record([verdict], documents, NOW)

    async def current_real(verdict: Verdict) -> None:
        await _make_current(owner, verdict)

    try:
        yield Stores(ReceiptStore(pool), StatusReader(pool), judged_real, current_real)
    finally:
        await owner.close()
        await pool.close()


async def _make_current(owner: asyncpg.Pool[Any], verdict: Verdict) -> None:
    await owner.execute(
        "INSERT INTO latest_reports (report_type, period, unit, province, submission_id,"
        " received_at, stream_seq, timeliness, values) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " 'on_time', $8::jsonb) ON CONFLICT (report_type, period, unit) DO UPDATE SET"
        " submission_id = excluded.submission_id",
        verdict.report_type,
        verdict.period,
        verdict.unit,
        verdict.province,
        verdict.submission_id,
        verdict.received_at,
        verdict.stream_seq,
        json.dumps({"docs_issued": 80}),
    )


def receipt(submission_id: str, unit: str = HOAN_KIEM, minutes: int = 0) -> StoredReceipt:
    return StoredReceipt(submission_id, unit, NOW + timedelta(minutes=minutes), 7 + minutes)


def verdict(submission_id: str, *, status: str = "accepted", minutes: int = 0) -> Verdict:
    accepted = status == "accepted"
    return Verdict.model_validate(
        {
            "submission_id": submission_id,
            "report_type": KL226,
            "period": Q4,
            "unit": HOAN_KIEM,
            "province": HA_NOI,
            "status": status,
            "reasons": []
            if accepted
            else [{"code": "missing_value", "message": "Thiếu", "message_en": "Missing"}],
            "warnings": [{"code": "outlier", "message": "Xa", "message_en": "Far"}]
            if accepted
            else [],
            "timeliness": "late" if accepted else None,
            "received_at": NOW + timedelta(minutes=minutes),
            "stream_seq": 10 + minutes,
            "values": {"docs_issued": 80} if accepted else None,
        }
    )


# --- ReceiptRecords -----------------------------------------------------------------------------


async def test_the_first_receipt_for_an_id_is_kept_and_returned_to_every_later_save(
    stores: Stores,
) -> None:
    first = await stores.receipts.save(receipt("s-1"), KL226, Q4)
    second = await stores.receipts.save(receipt("s-1", "00004", minutes=5), KL226, Q4)

    assert first == second == receipt("s-1")
    assert await stores.receipts.get("s-1") == receipt("s-1")
    assert await stores.receipts.get("s-2") is None


# --- StatusRecords ------------------------------------------------------------------------------


async def test_an_unknown_submission_has_no_status_and_one_only_received_is_received(
    stores: Stores,
) -> None:
    await stores.receipts.save(receipt("s-1"), KL226, Q4)

    received = await stores.statuses.status("s-1")

    assert await stores.statuses.status("nope") is None
    assert received is not None
    assert (received.unit, received.status, received.received_at) == (
        HOAN_KIEM,
        "received",
        NOW,
    )


async def test_a_judged_submission_stands_as_its_verdict_says(stores: Stores) -> None:
    await stores.receipts.save(receipt("s-1"), KL226, Q4)
    await stores.judged(verdict("s-1", status="rejected"))
    await stores.judged(verdict("s-2", minutes=1))
    await stores.made_current(verdict("s-2", minutes=1))

    rejected = await stores.statuses.status("s-1")
    accepted = await stores.statuses.status("s-2")

    assert rejected is not None
    assert (rejected.status, [r.code for r in rejected.reasons]) == ("rejected", ["missing_value"])
    assert accepted is not None
    assert (accepted.status, accepted.timeliness, accepted.superseded_by) == (
        "accepted",
        "late",
        None,
    )
    assert [w.code for w in accepted.warnings] == ["outlier"]
    assert accepted.received_at == NOW + timedelta(minutes=1)


async def test_an_accepted_submission_no_longer_current_is_superseded_by_the_current_one(
    stores: Stores,
) -> None:
    await stores.judged(verdict("s-1"))
    await stores.judged(verdict("s-2", minutes=1))
    await stores.made_current(verdict("s-2", minutes=1))

    first = await stores.statuses.status("s-1")

    assert first is not None
    assert (first.status, first.superseded_by) == ("superseded", "s-2")
