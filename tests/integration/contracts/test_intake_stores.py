"""Intake's stores (receipts, a submission's status, browsers' keys and presence), one
contract each, run against the in-memory fakes and PostgreSQL.

Every test takes ``stores``, parametrized by implementation. The status is read from what the
validator and the aggregator wrote: the PostgreSQL arrangement writes those as they do. The
silences of a device are read from the view ``device_silences``, as the owner (the validator
reads it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.intake.adapters.devices import DeviceStore
from services.intake.adapters.receipts import ReceiptStore
from services.intake.adapters.status import StatusReader
from services.intake.domain.devices import DeviceKey, Registered
from services.intake.domain.receipt import StoredReceipt
from services.intake.usecases.ports import DeviceRecords, ReceiptRecords, StatusRecords
from services.validator.adapters.verdict_store import VerdictStore
from shared.db import create_pool
from shared.schemas import Verdict
from tests.fakes.intake import (
    InMemoryDeviceStore,
    InMemoryIntakeTables,
    InMemoryReceiptStore,
    InMemoryStatusReader,
)
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KL226, Q4 = "kl226-quarterly", "2026-Q4"
HOAN_KIEM, HA_NOI = "00070", "01"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
Silence = tuple[datetime, datetime | None]


@dataclass
class Stores:
    receipts: ReceiptRecords
    statuses: StatusRecords
    judged: Callable[[Verdict], Awaitable[None]]  # as the validator records a verdict
    made_current: Callable[[Verdict], Awaitable[None]]  # as the aggregator folds a report
    devices: DeviceRecords
    silences: Callable[[str, str], Awaitable[list[Silence]]]  # device_silences, oldest first


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        tables = InMemoryIntakeTables()
        reader = InMemoryStatusReader(tables)

        async def judged_fake(verdict: Verdict) -> None:
            reader.judged(verdict)

        async def current_fake(verdict: Verdict) -> None:
            reader.made_current(verdict)

        devices = InMemoryDeviceStore(tables)

        async def silences_fake(unit: str, key_id: str) -> list[Silence]:
            return devices.silences(unit, key_id)

        yield Stores(
            InMemoryReceiptStore(tables),
            reader,
            judged_fake,
            current_fake,
            devices,
            silences_fake,
        )
        return
    # The stores log in as intake does; the others' tables are written by the owner.
    pool = await create_pool(service_url(backend, "intake"), min_size=1, max_size=2)
    owner = await create_pool(backend, min_size=1, max_size=2)

    async def judged_real(verdict: Verdict) -> None:
        documents = {verdict.submission_id: verdict.model_dump_json()}
        await VerdictStore(owner).record([verdict], documents, NOW)

    async def current_real(verdict: Verdict) -> None:
        await _make_current(owner, verdict)

    async def silences_real(unit: str, key_id: str) -> list[Silence]:
        rows = await owner.fetch(
            "SELECT began, ended FROM device_silences WHERE unit = $1 AND key_id = $2"
            " ORDER BY began",
            unit,
            key_id,
        )
        return [(row["began"], row["ended"]) for row in rows]

    try:
        yield Stores(
            ReceiptStore(pool),
            StatusReader(pool),
            judged_real,
            current_real,
            DeviceStore(pool),
            silences_real,
        )
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


# --- DeviceRecords ------------------------------------------------------------------------------

BROWSER = "web-Qm9vdHN0cmFw_LWtleS0x"
PUBLIC_KEY = "ZBFj7Icvzr1_ZNAR76_Sxe8d5jcRX_2eRl7qvSAaB-I"
OTHER_PUBLIC_KEY = "ZPMstSz2IAvedetXSYBClqLEZYLE50dhR2ysQrZZjVA"


def device_key(
    key_id: str = BROWSER, public_key: str = PUBLIC_KEY, unit: str = HOAN_KIEM, minutes: int = 0
) -> DeviceKey:
    return DeviceKey(unit, key_id, public_key, NOW + timedelta(minutes=minutes))


async def test_a_device_key_is_registered_once_and_the_same_key_again_finds_the_first(
    stores: Stores,
) -> None:
    first = await stores.devices.register(device_key())
    again = await stores.devices.register(device_key(minutes=5))

    assert first == Registered(device_key(), new=True)
    assert again == Registered(device_key(), new=False)


async def test_a_taken_key_id_or_public_key_is_not_registered(stores: Stores) -> None:
    await stores.devices.register(device_key())

    other_public_key = await stores.devices.register(device_key(public_key=OTHER_PUBLIC_KEY))
    same_public_key_new_id = await stores.devices.register(device_key("web-AnotherKeyIdOf-00070"))
    same_public_key_elsewhere = await stores.devices.register(device_key(unit="00004"))

    assert other_public_key is None
    assert same_public_key_new_id is None
    assert same_public_key_elsewhere is None
    # The key id is the unit's own: another unit may use the same id with its own key.
    assert await stores.devices.register(device_key(public_key=OTHER_PUBLIC_KEY, unit="00004"))


async def test_contacts_within_three_minutes_are_one_presence_and_a_longer_gap_a_silence(
    stores: Stores,
) -> None:
    await stores.devices.register(device_key())
    for minutes in (0, 1, 2, 4, 7):  # each within three minutes of the one before
        assert await stores.devices.seen(HOAN_KIEM, BROWSER, NOW + timedelta(minutes=minutes))

    assert await stores.silences(HOAN_KIEM, BROWSER) == [(NOW + timedelta(minutes=7), None)]

    back = NOW + timedelta(minutes=7 + 3, seconds=1)  # just over three minutes after
    await stores.devices.seen(HOAN_KIEM, BROWSER, back)
    await stores.devices.seen(HOAN_KIEM, BROWSER, back + timedelta(minutes=1))

    assert await stores.silences(HOAN_KIEM, BROWSER) == [
        (NOW + timedelta(minutes=7), back),
        (back + timedelta(minutes=1), None),
    ]


async def test_two_first_contacts_at_once_start_one_interval(stores: Stores) -> None:
    await stores.devices.register(device_key())

    both = await asyncio.gather(
        *(stores.devices.seen(HOAN_KIEM, BROWSER, NOW + timedelta(seconds=s)) for s in (1, 2))
    )

    assert both == [True, True]
    assert len(await stores.silences(HOAN_KIEM, BROWSER)) == 1


async def test_a_late_contact_never_moves_an_interval_back(stores: Stores) -> None:
    await stores.devices.register(device_key())
    await stores.devices.seen(HOAN_KIEM, BROWSER, NOW + timedelta(minutes=10))
    await stores.devices.seen(HOAN_KIEM, BROWSER, NOW + timedelta(minutes=9))

    assert await stores.silences(HOAN_KIEM, BROWSER) == [(NOW + timedelta(minutes=10), None)]


async def test_a_contact_from_a_key_the_unit_does_not_have_is_not_recorded(
    stores: Stores,
) -> None:
    await stores.devices.register(device_key())

    assert not await stores.devices.seen("00004", BROWSER, NOW)
    assert not await stores.devices.seen(HOAN_KIEM, "web-NeverRegisteredKey0", NOW)
    assert await stores.silences("00004", BROWSER) == []
