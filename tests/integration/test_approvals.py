"""Approval and locking, bottom-up as in DHIS2, against real NATS and PostgreSQL: a province
approves, revisions are refused with period_locked, unapproving (with a reason) reopens them,
Central accepts, and every step is logged with who and when."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.validator.adapters.verdict_store import VerdictStore
from services.validator.domain.judgement import Locks
from shared.identity import Role
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission

pytestmark = pytest.mark.integration

HOAN_KIEM = "00070"
BA_DINH = "00004"
HA_NOI = "01"
KL226 = "/v1/approvals/kl226-quarterly/2026-Q4"


def validator_client(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    )


async def judged(system: System, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    return await system.settled(body["submission_id"])


def codes(status: dict[str, Any]) -> list[str]:
    return [r["code"] for r in status["reasons"]]


async def test_approve_refuses_revisions_unapprove_with_a_reason_accepts_them_again(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    first = await judged(system, submission(HOAN_KIEM, docs_issued=80))

    async with validator_client(system) as validator:
        by_commune = await validator.post(
            f"{KL226}/{HA_NOI}", headers=bearer(HOAN_KIEM, Role.APPROVER)
        )
        approved = await validator.post(f"{KL226}/{HA_NOI}", headers=bearer(HA_NOI))
        refused = await judged(system, submission(HOAN_KIEM, docs_issued=85))
        own_report = await judged(system, submission(HA_NOI, docs_issued=85))
        no_reason = await validator.delete(f"{KL226}/{HA_NOI}", headers=bearer(HA_NOI))
        unapproved = await validator.delete(
            f"{KL226}/{HA_NOI}",
            params={"reason": "Phường Hoàn Kiếm bổ sung số liệu"},
            headers=bearer(HA_NOI),
        )
        reopened = await judged(system, submission(HOAN_KIEM, docs_issued=85))
        trail = await validator.get(f"{KL226}/{HA_NOI}", headers=bearer("VN"))

    assert first["status"] == "accepted"
    assert (by_commune.status_code, by_commune.json()["reason"]) == (403, "not_the_province")
    assert approved.status_code == 201, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == HA_NOI
    assert codes(refused) == ["period_locked"]
    assert "approved by 01" in refused["reasons"][0]["message_en"]
    assert "phê duyệt" in refused["reasons"][0]["message"]
    assert codes(own_report) == ["period_locked"]
    assert (no_reason.status_code, no_reason.json()["reason"]) == (400, "reason_required")
    assert unapproved.status_code == 200, unapproved.text
    assert unapproved.json()["status"] == "open"
    assert reopened["status"] == "accepted"
    log = trail.json()["log"]
    assert [(e["action"], e["actor"], e["reason"]) for e in log] == [
        ("approve", HA_NOI, None),
        ("unapprove", HA_NOI, "Phường Hoàn Kiếm bổ sung số liệu"),
    ]
    assert log[0]["at"] == approved.json()["approved_at"]
    assert trail.json()["locked"] is False


async def test_central_accepts_only_approved_data_and_must_unaccept_before_an_unapproval(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    province, central = bearer(HA_NOI), bearer("VN")

    async with validator_client(system) as validator:
        too_early = await validator.post(f"{KL226}/{HA_NOI}/acceptance", headers=central)
        await validator.post(f"{KL226}/{HA_NOI}", headers=province)
        again = await validator.post(f"{KL226}/{HA_NOI}", headers=province)
        by_province = await validator.post(f"{KL226}/{HA_NOI}/acceptance", headers=province)
        accepted = await validator.post(f"{KL226}/{HA_NOI}/acceptance", headers=central)
        state = await validator.get(KL226, headers=central)
        blocked = await validator.request(
            "DELETE", f"{KL226}/{HA_NOI}", json={"reason": "sửa"}, headers=province
        )
        unaccepted = await validator.request(
            "DELETE",
            f"{KL226}/{HA_NOI}/acceptance",
            json={"reason": "Tỉnh cần sửa số liệu"},
            headers=central,
        )
        unapproved = await validator.delete(
            f"{KL226}/{HA_NOI}", params={"reason": "sửa"}, headers=province
        )
        trail = await validator.get(f"{KL226}/{HA_NOI}", headers=central)

    assert (too_early.status_code, too_early.json()["reason"]) == (409, "not_approved")
    assert (again.status_code, again.json()["changed"]) == (200, False)
    assert (by_province.status_code, by_province.json()["reason"]) == (403, "not_central")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["accepted_by"]) == ("accepted", "VN")
    [ha_noi] = [p for p in state.json()["provinces"] if p["unit"] == HA_NOI]
    assert (ha_noi["status"], ha_noi["approved_by"], ha_noi["accepted_by"]) == (
        "accepted",
        HA_NOI,
        "VN",
    )
    assert len(state.json()["provinces"]) == 34
    assert {p["status"] for p in state.json()["provinces"] if p["unit"] != HA_NOI} == {"open"}
    assert (blocked.status_code, blocked.json()["reason"]) == (409, "accepted_by_central")
    assert unaccepted.status_code == 200, unaccepted.text
    assert unaccepted.json()["status"] == "approved"
    assert unapproved.status_code == 200, unapproved.text
    # Every step once, in order; the repeated approval is not logged.
    assert [(e["action"], e["actor"], e["reason"]) for e in trail.json()["log"]] == [
        ("approve", HA_NOI, None),
        ("accept", "VN", None),
        ("unaccept", "VN", "Tỉnh cần sửa số liệu"),
        ("unapprove", HA_NOI, "sửa"),
    ]


async def test_a_communes_own_approval_locks_that_commune_only(
    start_system: SystemFactory,
) -> None:
    system = await start_system()

    async with validator_client(system) as validator:
        approved = await validator.post(f"{KL226}/{HOAN_KIEM}", headers=bearer(HA_NOI))
        locked = await judged(system, submission(HOAN_KIEM))
        neighbour = await judged(system, submission(BA_DINH))
        province = await validator.post(f"{KL226}/{HA_NOI}", headers=bearer("VN"))
        commune_alone = await validator.delete(
            f"{KL226}/{HOAN_KIEM}", params={"reason": "x"}, headers=bearer(HA_NOI)
        )
        state = await validator.get(KL226, headers=bearer(HA_NOI))
        trail = await validator.get(f"{KL226}/{HOAN_KIEM}", headers=bearer(HA_NOI))

    assert approved.status_code == 201, approved.text
    assert codes(locked) == ["period_locked"]
    assert neighbour["status"] == "accepted"
    assert province.status_code == 201
    assert (commune_alone.status_code, commune_alone.json()["reason"]) == (
        409,
        "approved_by_province",
    )
    [ha_noi] = [p for p in state.json()["provinces"] if p["unit"] == HA_NOI]
    assert [(c["unit"], c["approved_by"]) for c in ha_noi["communes"]] == [(HOAN_KIEM, HA_NOI)]
    assert trail.json()["own"]["status"] == "approved"
    assert trail.json()["covered_by"]["approved_by"] == "VN"


async def test_an_approval_committed_while_a_batch_is_judged_makes_the_batch_judged_again(
    start_system: SystemFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = await start_system()
    real_locks = VerdictStore.locks
    approvals: list[int] = []

    async def locks_then_approve(self: VerdictStore, *args: Any) -> Locks:
        """Read the locks, then let the province approve before the verdicts are recorded."""
        found = await real_locks(self, *args)
        if not approvals:
            async with validator_client(system) as validator:
                response = await validator.post(f"{KL226}/{HA_NOI}", headers=bearer(HA_NOI))
            approvals.append(response.status_code)
        return found

    monkeypatch.setattr(VerdictStore, "locks", locks_then_approve)

    status = await judged(system, submission(HOAN_KIEM))

    assert approvals == [201]
    assert codes(status) == ["period_locked"]


async def test_approval_requests_name_what_is_wrong(start_system: SystemFactory) -> None:
    system = await start_system()

    async with validator_client(system) as validator:
        no_token = await validator.post(f"{KL226}/{HA_NOI}")
        unknown_type = await validator.post("/v1/approvals/nope/2026-Q4/01", headers=bearer(HA_NOI))
        bad_period = await validator.post(
            "/v1/approvals/kl226-quarterly/2026-13/01", headers=bearer(HA_NOI)
        )
        unknown_unit = await validator.post(f"{KL226}/99999", headers=bearer("VN"))
        future = await validator.post(
            "/v1/approvals/kl226-quarterly/2027-Q4/01", headers=bearer(HA_NOI)
        )
        central = await validator.post(f"{KL226}/VN", headers=bearer("VN"))

    assert (no_token.status_code, no_token.json()["reason"]) == (401, "missing_token")
    assert (unknown_type.status_code, unknown_type.json()["reason"]) == (
        404,
        "unknown_report_type",
    )
    assert (bad_period.status_code, bad_period.json()["reason"]) == (404, "invalid_period")
    assert (unknown_unit.status_code, unknown_unit.json()["reason"]) == (404, "unknown_unit")
    assert (future.status_code, future.json()["reason"]) == (409, "period_not_open")
    assert (central.status_code, central.json()["reason"]) == (400, "not_approvable")
