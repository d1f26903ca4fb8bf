"""Intake's use case on in-memory stores, a fake stream and a fake validator: a receipt once
per submission id, refusals by kind and reason, outages as Unavailable (no NATS, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.intake import metrics
from services.intake.domain.receipt import StoredReceipt
from services.intake.domain.refusals import Unavailable
from services.intake.usecases.submissions import IntakeService
from shared.clock import FixedClock
from shared.identity import Caller, Forbidden, Role
from shared.refusals import Kind, Refusal
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Verdict
from tests.fakes.intake import (
    FixedJudge,
    InMemoryIntakeTables,
    InMemoryReceiptStore,
    InMemoryStatusReader,
    InMemoryStream,
)

HOAN_KIEM, BA_DINH, HA_NOI = "00070", "00004", "01"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


@pytest.fixture
def tables() -> InMemoryIntakeTables:
    return InMemoryIntakeTables()


@pytest.fixture
def stream() -> InMemoryStream:
    return InMemoryStream(now=NOW)


@pytest.fixture
def judge() -> FixedJudge:
    return FixedJudge()


@pytest.fixture
def intake(
    registry: Registry, tables: InMemoryIntakeTables, stream: InMemoryStream, judge: FixedJudge
) -> IntakeService:
    return IntakeService(
        registry=registry,
        clock=FixedClock(NOW),
        receipts=InMemoryReceiptStore(tables),
        publisher=stream,
        dry_runs=judge,
        statuses=InMemoryStatusReader(tables),
    )


def submitter(unit: str) -> Caller:
    return Caller(subject=f"{unit}-system", unit=unit, roles=frozenset({Role.SUBMITTER}))


def reader(unit: str) -> Caller:
    return Caller(subject=f"{unit}-reader", unit=unit, roles=frozenset({Role.READER}))


def body(unit: str = HOAN_KIEM, submission_id: str = "sub-0001", **overrides: Any) -> bytes:
    document = {
        "submission_id": submission_id,
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": unit,
        "values": {"docs_issued": 80},
        **overrides,
    }
    return json.dumps(document).encode()


async def refusal_of(work: Any) -> Refusal:
    with pytest.raises(Refusal) as refused:
        await work
    return refused.value


async def test_a_submission_is_published_once_and_a_resent_id_gets_the_first_receipt(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    receipt, submission = await intake.submit(body(), submitter(HOAN_KIEM))
    again, _ = await intake.submit(body(), submitter(HOAN_KIEM))

    assert receipt == StoredReceipt("sub-0001", HOAN_KIEM, NOW, 1)
    assert submission.unit == HOAN_KIEM
    assert again == receipt
    assert [subject for subject, _ in stream.messages] == ["reports.submitted.01.00070"]


async def test_an_id_another_unit_used_is_a_conflict(intake: IntakeService) -> None:
    await intake.submit(body(), submitter(HOAN_KIEM))

    refusal = await refusal_of(intake.submit(body(BA_DINH), submitter(BA_DINH)))

    assert (refusal.reason, refusal.kind) == ("submission_id_taken", Kind.CONFLICT)


async def test_an_id_the_stream_holds_for_another_unit_is_a_conflict_without_a_receipt(
    intake: IntakeService, tables: InMemoryIntakeTables
) -> None:
    await intake.submit(body(), submitter(HOAN_KIEM))
    tables.receipts.clear()  # the receipt was lost; the stream still has the first message

    refusal = await refusal_of(intake.submit(body(BA_DINH), submitter(BA_DINH)))

    assert refusal.reason == "submission_id_taken"
    assert tables.receipts == {}


async def test_a_body_that_is_not_a_submission_is_invalid_with_every_reason_in_details(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    refusal = await refusal_of(intake.submit(b"{not json", submitter(HOAN_KIEM)))

    assert (refusal.reason, refusal.kind) == ("malformed_json", Kind.INVALID)
    assert [d["code"] for d in refusal.details] == ["malformed_json"]
    assert stream.messages == []


async def test_a_submission_for_another_unit_than_the_token_is_forbidden(
    intake: IntakeService,
) -> None:
    with pytest.raises(Forbidden) as refused:
        await intake.submit(body(BA_DINH), submitter(HOAN_KIEM))

    assert refused.value.reason == "unit_mismatch"


async def test_a_unit_not_in_the_registry_is_invalid(intake: IntakeService) -> None:
    refusal = await refusal_of(intake.submit(body("99999"), submitter("99999")))

    assert (refusal.reason, refusal.kind) == ("unknown_unit", Kind.INVALID)


async def test_a_stream_out_of_reach_is_unavailable_with_when_to_retry(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    stream.failure = ConnectionRefusedError("nats down")

    refusal = await refusal_of(intake.submit(body(), submitter(HOAN_KIEM)))

    assert isinstance(refusal, Unavailable)
    assert (refusal.reason, refusal.kind, refusal.retry_after) == (
        "service_unavailable",
        Kind.UNAVAILABLE,
        1,
    )
    assert "ConnectionRefusedError" in refusal.cause
    assert [d["code"] for d in refusal.details] == ["service_unavailable"]


async def test_an_error_that_is_not_an_outage_is_not_hidden_as_one(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    stream.failure = asyncpg.UniqueViolationError("a bug, not an outage")

    with pytest.raises(asyncpg.UniqueViolationError):
        await intake.submit(body(), submitter(HOAN_KIEM))


async def test_a_dry_run_asks_the_validator_and_stores_nothing(
    intake: IntakeService, judge: FixedJudge, stream: InMemoryStream, tables: InMemoryIntakeTables
) -> None:
    verdict = Verdict(
        submission_id="sub-0001",
        report_type="kl226-quarterly",
        period="2026-Q4",
        unit=HOAN_KIEM,
        province=HA_NOI,
        status="accepted",
        received_at=NOW,
        stream_seq=0,
    )
    judge.verdicts[HOAN_KIEM] = verdict

    answered = await intake.dry_run(body(), submitter(HOAN_KIEM))
    silent = await refusal_of(intake.dry_run(body(BA_DINH), submitter(BA_DINH)))

    assert answered == verdict
    assert (silent.reason, silent.kind) == ("service_unavailable", Kind.UNAVAILABLE)
    assert judge.asked == [HOAN_KIEM, BA_DINH]
    assert stream.messages == []
    assert tables.receipts == {}


async def test_a_status_is_for_the_unit_its_province_and_central_only(
    intake: IntakeService,
) -> None:
    await intake.submit(body(), submitter(HOAN_KIEM))

    seen = [
        (await intake.status("sub-0001", reader(unit))).status for unit in (HOAN_KIEM, HA_NOI, "VN")
    ]
    unknown = await refusal_of(intake.status("nope", reader("VN")))

    assert seen == ["received"] * 3
    assert (unknown.reason, unknown.kind) == ("unknown_submission", Kind.NOT_FOUND)
    with pytest.raises(Forbidden):
        await intake.status("sub-0001", reader(BA_DINH))


async def test_refusals_are_counted_by_reason_but_an_outage_is_not() -> None:
    taken = metrics.refusals.labels("submission_id_taken")
    outage = metrics.refusals.labels("service_unavailable")
    before = (taken._value.get(), outage._value.get())

    metrics.count_refusal("submission_id_taken")
    metrics.count_refusal("service_unavailable")

    assert (taken._value.get(), outage._value.get()) == (before[0] + 1, before[1])
