"""A report's status, GET /v1/report-status/{report_type}/{period}/{unit}, against real NATS and
PostgreSQL: each unit's standing (on time, late, rejected with the reasons, corrected) in one
call, within the caller's reach as the audit's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission

pytestmark = pytest.mark.integration

HA_NOI, HOAN_KIEM, CUA_NAM, BA_DINH = "01", "00070", "00073", "00004"
HO_CHI_MINH, THU_DAU_MOT = "79", "25747"
STATUS = "/v1/report-status/kl226-quarterly/2026-Q4"


def validator_client(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    )


async def judged(system: System, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    return await system.settled(body["submission_id"])


def units_of(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {u["unit"]: u for u in response.json()["units"]}


async def test_each_unit_that_submitted_shows_its_standing_within_the_callers_reach(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    first, correction = submission(HOAN_KIEM, docs_issued=80), submission(HOAN_KIEM, docs_issued=90)
    refused_correction = submission(HOAN_KIEM, procedures_online=300)
    refused = submission(CUA_NAM, procedures_online=300)
    for body in (first, correction, refused_correction, refused, submission(THU_DAU_MOT)):
        await judged(system, body)

    async with validator_client(system) as validator:
        province = await validator.get(f"{STATUS}/{HA_NOI}", headers=bearer(HA_NOI))
        commune = await validator.get(f"{STATUS}/{CUA_NAM}", headers=bearer(CUA_NAM))
        central = await validator.get(f"{STATUS}/VN", headers=bearer("VN"))
        answers = {
            (who, unit): (await validator.get(f"{STATUS}/{unit}", headers=bearer(who))).status_code
            for who, unit in [
                ("VN", HA_NOI),
                (HO_CHI_MINH, HA_NOI),
                (CUA_NAM, HA_NOI),
                (BA_DINH, CUA_NAM),
                (HA_NOI, "VN"),
                (HA_NOI, THU_DAU_MOT),
            ]
        }

    body = province.json()
    assert (body["report_type"], body["period"], body["unit"]) == (
        "kl226-quarterly",
        "2026-Q4",
        HA_NOI,
    )
    # Units without a submission are not listed: the rollup has the expected ones.
    assert list(units_of(province)) == [HOAN_KIEM, CUA_NAM]
    hoan_kiem, cua_nam = units_of(province)[HOAN_KIEM], units_of(province)[CUA_NAM]
    # Corrected, on time for good; the refused correction after it shows as the latest.
    assert (hoan_kiem["status"], hoan_kiem["corrected"]) == ("on_time", True)
    assert (hoan_kiem["submissions"], hoan_kiem["accepted"], hoan_kiem["rejected"]) == (3, 2, 1)
    latest = hoan_kiem["latest"]
    assert (latest["submission_id"], latest["status"], latest["timeliness"]) == (
        refused_correction["submission_id"],
        "rejected",
        None,
    )
    assert [r["rule"] for r in latest["reasons"]] == ["procedures_online_bounded"]
    # The clock is frozen: all came at one instant, and the stream's order decides the latest.
    assert hoan_kiem["first_received_at"] == hoan_kiem["last_received_at"] == latest["received_at"]
    assert (cua_nam["status"], cua_nam["corrected"], cua_nam["accepted"]) == ("rejected", False, 0)
    assert cua_nam["latest"]["reasons"][0]["message_en"]
    assert list(units_of(commune)) == [CUA_NAM]
    assert list(units_of(central)) == [HOAN_KIEM, CUA_NAM, THU_DAU_MOT]
    assert units_of(central)[THU_DAU_MOT]["status"] == "on_time"
    assert answers == {
        ("VN", HA_NOI): 200,
        (HO_CHI_MINH, HA_NOI): 403,
        (CUA_NAM, HA_NOI): 403,
        (BA_DINH, CUA_NAM): 403,
        (HA_NOI, "VN"): 403,
        (HA_NOI, THU_DAU_MOT): 403,
    }


async def test_refusals_are_problems_as_on_the_other_routes(start_system: SystemFactory) -> None:
    system = await start_system()

    async with validator_client(system) as validator:
        forbidden = await validator.get(f"{STATUS}/{HA_NOI}", headers=bearer(HO_CHI_MINH))
        anonymous = await validator.get(f"{STATUS}/{HA_NOI}")
        not_found = {
            path: await validator.get(path, headers=bearer("VN"))
            for path in (
                f"{STATUS}/99999",
                "/v1/report-status/no-such-report/2026-Q4/01",
                "/v1/report-status/kl226-quarterly/2026-11/01",
            )
        }
        empty = await validator.get(f"{STATUS}/{HA_NOI}", headers=bearer(HA_NOI))

    assert forbidden.headers["content-type"] == "application/problem+json"
    assert (forbidden.status_code, forbidden.json()["reason"]) == (403, "not_your_unit")
    assert (anonymous.status_code, anonymous.json()["reason"]) == (401, "missing_token")
    assert [(r.status_code, r.json()["reason"]) for r in not_found.values()] == [
        (404, "unknown_unit"),
        (404, "unknown_report_type"),
        (404, "invalid_period"),
    ]
    assert units_of(empty) == {}
