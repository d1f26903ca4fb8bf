"""A province keys a commune's paper report on its behalf, against real NATS and PostgreSQL:
intake checks the mark is the caller's own, the validator keeps it in the verdict and the
audit trail, and a mark forged onto NATS is refused (docs/keyed-on-behalf.md)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
from shared import subjects
from shared.identity import Role
from shared.identity.issuer import LocalIssuer
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, submission
from tests.ledger import LEDGER

pytestmark = pytest.mark.integration

BA_DINH, HA_NOI, HCM = "00004", "01", "79"
REASON = "Xã gửi báo cáo giấy ngày 08/12 do mất kết nối"


def person(unit: str, name: str) -> dict[str, str]:
    token = LocalIssuer.of().mint(
        unit, [Role.SUBMITTER, Role.READER], person=True, subject=f"person:{name}"
    )
    return {"Authorization": f"Bearer {token}"}


def keyed(unit: str, name: str, **values: Any) -> dict[str, Any]:
    body = submission(BA_DINH, **values)
    body["keyed_by"] = {"unit": unit, "person": f"person:{name}", "reason": REASON}
    return body


async def history(system: System, reader: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    ) as validator:
        response = await validator.get(
            f"/v1/units/{BA_DINH}/submissions", headers=person(reader, "reader")
        )
    assert response.status_code == 200, response.text
    submissions: list[dict[str, Any]] = response.json()["submissions"]
    return submissions


async def test_a_province_keys_a_paper_report_and_the_audit_trail_says_who_and_why(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = keyed(HA_NOI, "hanoi")

    checked = await system.intake_http.post(
        "/v1/submissions", params={"dry_run": "true"}, json=body, headers=person(HA_NOI, "hanoi")
    )
    sent = await system.intake_http.post(
        "/v1/submissions", json=body, headers=person(HA_NOI, "hanoi")
    )
    status = await system.settled(body["submission_id"])

    assert (checked.status_code, checked.json()["status"]) == (200, "accepted"), checked.text
    assert sent.status_code == 202, sent.text
    assert status["status"] == "accepted"
    assert status["keyed_by"] == body["keyed_by"]
    for reader in (BA_DINH, HA_NOI, "VN"):
        [entry] = await history(system, reader)
        assert entry["keyed_by"] == body["keyed_by"], reader
        assert (entry["status"], entry["sender"]) == ("accepted", BA_DINH)


async def test_another_province_is_refused_and_nothing_is_stored(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = keyed(HCM, "hcm")

    response = await system.intake_http.post(
        "/v1/submissions", json=body, headers=person(HCM, "hcm")
    )
    impersonated = await system.intake_http.post(
        "/v1/submissions", json=keyed(HA_NOI, "hanoi"), headers=person(HA_NOI, "someone")
    )

    refused = (response.status_code, response.json()["reason"]) == (403, "not_the_province")
    LEDGER.record("keyed on behalf: by another province", refused)
    assert refused, response.text
    named_other = (impersonated.status_code, impersonated.json()["reason"]) == (
        403,
        "keyed_by_not_caller",
    )
    LEDGER.record("keyed on behalf: a mark naming another person", named_other)
    assert named_other, impersonated.text
    assert (await system.status(body["submission_id"]))["status"] is None


async def test_a_mark_a_commune_forges_onto_nats_is_refused_and_not_kept(
    start_system: SystemFactory, nats_identities: NatsIdentities
) -> None:
    system = await start_system()
    body = keyed(HA_NOI, "hanoi")
    systems = LocalSystems(system.nats_url, nats_identities)
    try:
        js = await systems.jetstream(HA_NOI, BA_DINH)
        await js.publish(
            subjects.submitted(HA_NOI, BA_DINH),
            json.dumps(body).encode(),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": body["submission_id"]},
        )
    finally:
        await systems.close()

    status = await system.settled(body["submission_id"])

    refused = [r["code"] for r in status["reasons"]] == ["keyed_by_not_allowed"]
    LEDGER.record("keyed on behalf: a mark forged on a commune's own subject", refused)
    assert refused, status
    assert status["keyed_by"] is None
