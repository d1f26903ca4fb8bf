"""The audit, GET /v1/units/{unit}/submissions, against real NATS and PostgreSQL: every
submission of a unit with who sent it, when, its verdict, what it changed and which accepted
submission superseded which."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission

pytestmark = pytest.mark.integration

HOAN_KIEM = "00070"
BA_DINH = "00004"
HA_NOI = "01"
HISTORY = f"/v1/units/{HOAN_KIEM}/submissions"


def validator_client(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    )


async def judged(system: System, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    return await system.settled(body["submission_id"])


async def test_the_history_shows_each_submission_its_verdict_changes_and_superseding(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    first = submission(HOAN_KIEM, docs_issued=80, conference_budget_spent=40)
    broken = submission(HOAN_KIEM, procedures_online=300)
    corrected = submission(HOAN_KIEM, docs_issued=90, conference_budget_spent=40.0)
    locked = submission(HOAN_KIEM, period="2026-Q3")  # locked since 17 October
    for body in (first, broken, corrected, locked):
        await judged(system, body)

    async with validator_client(system) as validator:
        response = await validator.get(HISTORY, headers=bearer(HOAN_KIEM))

    assert response.status_code == 200, response.text
    history = response.json()
    assert history["next_cursor"] is None
    by_id = {s["submission_id"]: s for s in history["submissions"]}
    assert [s["submission_id"] for s in history["submissions"]] == [
        locked["submission_id"],
        corrected["submission_id"],
        broken["submission_id"],
        first["submission_id"],
    ]
    old, bad, new = (
        by_id[first["submission_id"]],
        by_id[broken["submission_id"]],
        by_id[corrected["submission_id"]],
    )
    assert (old["status"], old["superseded_by"], old["supersedes"]) == (
        "superseded",
        corrected["submission_id"],
        None,
    )
    assert old["changes"] is None
    assert (new["status"], new["supersedes"], new["superseded_by"]) == (
        "accepted",
        first["submission_id"],
        None,
    )
    # 40 and 40.0 are the same budget: only the documents changed.
    assert new["changes"] == {"docs_issued": {"from": 80, "to": 90}}
    assert new["values"]["docs_issued"] == 90
    assert (bad["status"], bad["values"], bad["changes"]) == ("rejected", None, None)
    assert [r["rule"] for r in bad["reasons"]] == ["procedures_online_bounded"]
    assert [r["code"] for r in by_id[locked["submission_id"]]["reasons"]] == ["period_locked"]
    assert {s["sender"] for s in history["submissions"]} == {HOAN_KIEM}
    assert all(s["received_at"] and s["stream_seq"] for s in history["submissions"])
    assert new["timeliness"] == "on_time"


async def test_the_history_pages_with_a_cursor_and_filters_by_period(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    sent = [submission(HOAN_KIEM, docs_issued=80 + n) for n in range(5)]
    for body in sent:
        await judged(system, body)
    await judged(system, submission(HOAN_KIEM, period="2026-Q3"))

    async with validator_client(system) as validator:
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            params = {"period": "2026-Q4", "limit": "2", **({"cursor": cursor} if cursor else {})}
            response = await validator.get(HISTORY, params=params, headers=bearer(HA_NOI))
            assert response.status_code == 200, response.text
            pages.append(response.json()["submissions"])
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        forged = await validator.get(
            HISTORY, params={"cursor": "bm90IGpzb24"}, headers=bearer(HA_NOI)
        )

    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [s["submission_id"] for page in pages for s in page]
    assert seen == [b["submission_id"] for b in reversed(sent)]
    # The chain crosses pages: the oldest, alone on the last page, names its successor.
    assert pages[2][0]["superseded_by"] == sent[1]["submission_id"]
    assert pages[1][1]["supersedes"] == sent[0]["submission_id"]
    assert pages[1][1]["changes"] == {"docs_issued": {"from": 80, "to": 81}}
    assert (forged.status_code, forged.json()["reason"]) == (400, "invalid_cursor")


async def test_only_the_unit_its_province_or_central_read_its_history(
    start_system: SystemFactory,
) -> None:
    system = await start_system()

    async with validator_client(system) as validator:
        answers = {
            who: (await validator.get(HISTORY, headers=bearer(who))).status_code
            for who in (HOAN_KIEM, HA_NOI, "VN", BA_DINH, "79")
        }
        anonymous = await validator.get(HISTORY)
        unknown = await validator.get("/v1/units/99999/submissions", headers=bearer("VN"))
        too_many = await validator.get(HISTORY, params={"limit": "501"}, headers=bearer("VN"))

    assert answers == {HOAN_KIEM: 200, HA_NOI: 200, "VN": 200, BA_DINH: 403, "79": 403}
    assert (anonymous.status_code, anonymous.json()["reason"]) == (401, "missing_token")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown_unit")
    assert (too_many.status_code, too_many.json()["reason"]) == (400, "invalid_request")
