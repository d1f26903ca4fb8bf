"""A paper report keyed on a commune's behalf: who may key it (intake), where the mark may
travel and when it stands (the validator), and whose key signs it.

The mark names the keying unit, the person and the reason; intake accepts it only as the
caller's own, for a unit the caller answers for, and publishes it on the one subject no local
system may publish on (docs/keyed-on-behalf.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.usecases.submissions import IntakeService
from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.signatures import SigningRegistry, UnitKey
from services.validator.domain.verdicts import verdict_for
from shared import subjects
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.identity import Caller, Forbidden, Role
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Verdict
from shared.signing import sign
from tests.fakes.intake import (
    FixedJudge,
    InMemoryIntakeTables,
    InMemoryReceiptStore,
    InMemoryStatusReader,
    InMemoryStream,
)
from tests.integration.system import kl226_values

BA_DINH, HOAN_KIEM, HA_NOI, HCM, HCM_COMMUNE = "00004", "00070", "01", "79", "26506"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
REASON = "Xã gửi báo cáo giấy ngày 08/12 do mất kết nối"
CATALOG = Catalog.load()
UNITS = Registry(units_from_package())


def person(unit: str, *roles: Role, name: str = "hanoi") -> Caller:
    return Caller(subject=f"person:{name}", unit=unit, roles=frozenset(roles or {Role.SUBMITTER}))


def mark(unit: str = HA_NOI, person_subject: str = "person:hanoi") -> dict[str, str]:
    return {"unit": unit, "person": person_subject, "reason": REASON}


def document(unit: str = BA_DINH, **changes: Any) -> dict[str, Any]:
    return {
        "submission_id": "keyed-00000001",
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": unit,
        "values": kl226_values(),
        **changes,
    }


def encoded(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# --- intake: who may key ---------------------------------------------------------------------


@pytest.fixture
def stream() -> InMemoryStream:
    return InMemoryStream(now=NOW)


@pytest.fixture
def judge() -> FixedJudge:
    return FixedJudge()


@pytest.fixture
def intake(stream: InMemoryStream, judge: FixedJudge) -> IntakeService:
    tables = InMemoryIntakeTables()
    return IntakeService(
        registry=UNITS,
        clock=FixedClock(NOW),
        receipts=InMemoryReceiptStore(tables),
        publisher=stream,
        dry_runs=judge,
        statuses=InMemoryStatusReader(tables),
    )


async def refused(work: Any) -> str:
    with pytest.raises(Forbidden) as refusal:
        await work
    return refusal.value.reason


async def test_a_province_keys_its_communes_paper_report_on_the_subject_only_intake_publishes(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    receipt, submission = await intake.submit(encoded(document(keyed_by=mark())), person(HA_NOI))

    assert receipt.unit == BA_DINH
    assert submission.keyed_by is not None
    assert (submission.keyed_by.unit, submission.keyed_by.reason) == (HA_NOI, REASON)
    assert [subject for subject, _ in stream.messages] == ["reports.submitted.01.keyed.00004"]


async def test_central_may_key_any_units_report(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    caller = person("VN", name="trunguong")

    await intake.submit(
        encoded(document(HCM_COMMUNE, keyed_by=mark("VN", "person:trunguong"))), caller
    )

    assert [subject for subject, _ in stream.messages] == ["reports.submitted.79.keyed.26506"]


async def test_a_mark_naming_another_person_or_unit_than_the_caller_is_refused(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    someone_else = encoded(document(keyed_by=mark(person_subject="person:somebody")))
    another_unit = encoded(document(keyed_by=mark(unit="VN")))

    assert await refused(intake.submit(someone_else, person(HA_NOI))) == "keyed_by_not_caller"
    assert await refused(intake.submit(another_unit, person(HA_NOI))) == "keyed_by_not_caller"
    assert stream.messages == []


async def test_a_province_may_not_key_another_provinces_commune(
    intake: IntakeService, stream: InMemoryStream
) -> None:
    caller = person(HCM, name="hcm")
    body = encoded(document(BA_DINH, keyed_by=mark(HCM, "person:hcm")))

    assert await refused(intake.submit(body, caller)) == "not_the_province"
    assert await refused(intake.dry_run(body, caller)) == "not_the_province"
    assert stream.messages == []


async def test_a_commune_never_keys_for_its_neighbour(intake: IntakeService) -> None:
    caller = person(HOAN_KIEM, name="hoankiem")
    body = encoded(document(BA_DINH, keyed_by=mark(HOAN_KIEM, "person:hoankiem")))

    assert await refused(intake.submit(body, caller)) == "not_the_province"


async def test_keying_needs_the_submitter_role(intake: IntakeService) -> None:
    reader = person(HA_NOI, Role.READER, Role.APPROVER)

    assert await refused(intake.submit(encoded(document(keyed_by=mark())), reader)) == (
        "role_required"
    )


async def test_without_a_mark_a_province_still_may_not_send_as_its_commune(
    intake: IntakeService,
) -> None:
    assert await refused(intake.submit(encoded(document()), person(HA_NOI))) == "unit_mismatch"


async def test_a_keyed_dry_run_is_judged_for_the_commune_after_the_same_check(
    intake: IntakeService, judge: FixedJudge
) -> None:
    judge.verdicts[BA_DINH] = Verdict(
        submission_id="keyed-00000001",
        report_type="kl226-quarterly",
        period="2026-Q4",
        unit=BA_DINH,
        province=HA_NOI,
        status="accepted",
        received_at=NOW,
        stream_seq=0,
    )

    verdict = await intake.dry_run(encoded(document(keyed_by=mark())), person(HA_NOI))

    assert verdict.status == "accepted"
    assert judge.asked == [BA_DINH]


# --- the subject ----------------------------------------------------------------------------


def test_the_keyed_subject_keeps_the_unit_last_and_reads_back() -> None:
    keyed = subjects.submitted(HA_NOI, BA_DINH, keyed=True)

    assert keyed == "reports.submitted.01.keyed.00004"
    assert subjects.submitted_parts(keyed) == (HA_NOI, BA_DINH, True)
    assert subjects.submitted_parts("reports.submitted.01.00004") == (HA_NOI, BA_DINH, False)
    assert subjects.submitted_parts("reports.submitted.01.other.00004") is None


# --- the validator: where the mark stands -----------------------------------------------------


def incoming(doc: dict[str, Any], *, keyed: bool) -> IncomingSubmission:
    subject = subjects.submitted(HA_NOI, doc["unit"], keyed=keyed)
    return IncomingSubmission(subject, encoded(doc), None, 7, NOW)


def judged(doc: dict[str, Any], *, keyed: bool, signing: SigningRegistry | None = None) -> Verdict:
    return verdict_for(
        incoming(doc, keyed=keyed),
        catalog=CATALOG,
        registry=UNITS,
        received_at=NOW,
        signing=signing,
    )


def test_a_keyed_report_from_intake_is_accepted_with_its_mark_in_the_verdict() -> None:
    verdict = judged(document(keyed_by=mark()), keyed=True)

    assert (verdict.status, verdict.reasons) == ("accepted", [])
    assert verdict.keyed_by is not None
    assert verdict.keyed_by.model_dump() == mark()
    assert (verdict.unit, verdict.sender) == (BA_DINH, BA_DINH)


def test_a_mark_a_local_system_put_on_its_own_subject_is_refused_and_not_kept() -> None:
    verdict = judged(document(keyed_by=mark()), keyed=False)

    assert verdict.status == "rejected"
    assert [r.code for r in verdict.reasons] == ["keyed_by_not_allowed"]
    assert verdict.keyed_by is None


def test_a_report_on_the_keyed_subject_without_a_mark_is_refused() -> None:
    verdict = judged(document(), keyed=True)

    assert [r.code for r in verdict.reasons] == ["keyed_by_missing"]


def test_a_mark_by_a_unit_that_does_not_oversee_the_commune_is_refused() -> None:
    verdict = judged(document(keyed_by=mark(HCM, "person:hcm")), keyed=True)

    assert verdict.status == "rejected"
    assert [r.code for r in verdict.reasons] == ["keyed_by_not_overseeing"]


def test_an_ordinary_report_is_judged_as_before() -> None:
    assert judged(document(), keyed=False).status == "accepted"


# --- whose key signs it -----------------------------------------------------------------------

PROVINCE_KEY = Ed25519PrivateKey.generate()
COMMUNE_KEY = Ed25519PrivateKey.generate()


def signing_registry(required_from: datetime) -> SigningRegistry:
    def key(unit: str, private: Ed25519PrivateKey) -> UnitKey:
        return UnitKey(unit, "k1", private.public_key(), datetime(2026, 1, 1, tzinfo=UTC))

    return SigningRegistry(
        required_from,
        timedelta(days=90),
        {HA_NOI: {"k1": key(HA_NOI, PROVINCE_KEY)}, BA_DINH: {"k1": key(BA_DINH, COMMUNE_KEY)}},
    )


def test_a_keyed_report_is_signed_with_the_keying_provinces_key() -> None:
    required = signing_registry(NOW - timedelta(days=1))
    at = NOW - timedelta(minutes=1)

    by_province = judged(
        sign(document(keyed_by=mark()), PROVINCE_KEY, "k1", at), keyed=True, signing=required
    )
    by_commune = judged(
        sign(document(keyed_by=mark()), COMMUNE_KEY, "k1", at), keyed=True, signing=required
    )

    assert (by_province.status, by_province.reasons) == ("accepted", [])
    assert [r.code for r in by_commune.reasons] == ["signature_invalid"]


def test_after_the_transition_an_unsigned_keyed_report_is_refused_in_the_provinces_name() -> None:
    verdict = judged(
        document(keyed_by=mark()), keyed=True, signing=signing_registry(NOW - timedelta(days=1))
    )

    assert [r.code for r in verdict.reasons] == ["signature_missing"]
    assert "unit 01" in verdict.reasons[0].message_en
