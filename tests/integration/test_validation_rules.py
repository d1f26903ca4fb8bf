"""Validation as the catalog defines it, against real NATS and PostgreSQL: error and warning
rules, outliers, working-day deadlines after Tết, locks and lock exceptions, closed units and
dry runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import nats
import pytest

from baocao.nats_identities import ops_options
from shared import subjects
from shared.catalog import Level
from shared.clock import ClockSegment, ScheduledClock
from shared.identity import Role
from shared.registry import Unit
from shared.registry.seed import TWO_LEVEL_START
from shared.registry.store import upsert_units
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission

pytestmark = pytest.mark.integration

HOAN_KIEM = "00070"
HA_NOI = "01"


def move_to(clock: ScheduledClock, instant: datetime) -> None:
    clock.replace([*clock.segments, ClockSegment(datetime.now(UTC), instant, 0)])


async def judged(system: System, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    return await system.settled(body["submission_id"])


def validator_client(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    )


async def test_an_error_rule_rejects_and_a_warning_rule_accepts_with_a_flag(
    start_system: SystemFactory,
) -> None:
    system = await start_system()

    broken = await judged(system, submission(HOAN_KIEM, procedures_online=300))
    flagged = await judged(system, submission(HOAN_KIEM, conference_budget_spent=90))

    assert broken["status"] == "rejected"
    assert [r["rule"] for r in broken["reasons"]] == ["procedures_online_bounded"], broken
    assert broken["reasons"][0]["message"]
    assert broken["reasons"][0]["indicator"] == "procedures_online"
    assert flagged["status"] == "accepted"
    warned = {(w["code"], w.get("rule") or w.get("indicator")) for w in flagged["warnings"]}
    assert ("rule_violated", "budget_within_plan") in warned
    assert ("target_missed", "budget_overrun") in warned


async def test_a_value_far_from_the_units_own_history_is_accepted_with_an_outlier_warning(
    start_system: SystemFactory, clock: ScheduledClock
) -> None:
    system = await start_system()
    # The unit reported about 80 documents in each of the two quarters before.
    move_to(clock, datetime(2026, 6, 10, 2, tzinfo=UTC))
    assert (await judged(system, submission(HOAN_KIEM, period="2026-Q2")))["status"] == "accepted"
    move_to(clock, datetime(2026, 9, 10, 2, tzinfo=UTC))
    q3 = submission(HOAN_KIEM, period="2026-Q3", docs_issued=90)
    assert (await judged(system, q3))["status"] == "accepted"
    move_to(clock, datetime(2026, 12, 10, 2, tzinfo=UTC))

    slip = await judged(system, submission(HOAN_KIEM, docs_issued=8500))

    assert slip["status"] == "accepted"
    [outlier] = [w for w in slip["warnings"] if w["code"] == "outlier"]
    assert outlier["indicator"] == "docs_issued"
    assert "8500" in outlier["message_en"]
    assert "85" in outlier["message_en"]  # the median of 80 and 90


async def test_a_working_day_deadline_moves_past_tet(
    start_system: SystemFactory, clock: ScheduledClock
) -> None:
    system = await start_system()
    # lg2-monthly: communes are due five working days after the cut-off (14 February 2026);
    # Tết takes 16–20 February, so the deadline is Friday 27 February, not the 20th.
    move_to(clock, datetime(2026, 2, 25, 3, tzinfo=UTC))
    body = lg2_submission(HOAN_KIEM, "2026-02")

    status = await judged(system, body)

    assert status["status"] == "accepted", status
    assert status["timeliness"] == "on_time"
    move_to(clock, datetime(2026, 3, 2, 3, tzinfo=UTC))
    late = await judged(system, lg2_submission(HOAN_KIEM, "2026-02"))
    assert late["timeliness"] == "late"


def lg2_submission(unit: str, period: str) -> dict[str, Any]:
    body = submission(unit, period=period, report_type="lg2-monthly")
    body["values"] = {
        "staff_positions": 40,
        "staff_in_post": 38,
        "key_posts_vacant": 1,
        "training_sessions": 2,
        "staff_trained": 30,
        "procedures_received": 500,
        "procedures_on_time": 480,
        "procedures_online": 400,
        "procedures_non_territorial": 20,
        "digital_signatures_issued": 35,
        "vacant_buildings": 0,
        "citizen_satisfaction_pct": 92.5,
    }
    return body


async def test_a_locked_period_refuses_reports_until_the_province_reopens_the_unit(
    start_system: SystemFactory,
) -> None:
    system = await start_system()  # 10 December 2026: 2026-Q3 locked on 17 October
    refused = await judged(system, submission(HOAN_KIEM, period="2026-Q3"))
    grant = {
        "unit": HOAN_KIEM,
        "report_type": "kl226-quarterly",
        "period": "2026-Q3",
        "reason": "Phường bổ sung số liệu thủ tục hành chính",
    }

    async with validator_client(system) as validator:
        by_commune = await validator.post(
            "/v1/lock-exceptions", json=grant, headers=bearer(HOAN_KIEM, Role.APPROVER)
        )
        by_other_province = await validator.post(
            "/v1/lock-exceptions", json=grant, headers=bearer("79")
        )
        by_province = await validator.post(
            "/v1/lock-exceptions", json=grant, headers=bearer(HA_NOI)
        )
        listed = await validator.get(
            "/v1/lock-exceptions", params={"unit": HOAN_KIEM}, headers=bearer(HA_NOI)
        )
    reopened = await judged(system, submission(HOAN_KIEM, period="2026-Q3"))

    assert refused["status"] == "rejected"
    assert [r["code"] for r in refused["reasons"]] == ["period_locked"]
    assert (by_commune.status_code, by_commune.json()["reason"]) == (403, "not_the_province")
    assert by_other_province.status_code == 403
    assert by_province.status_code == 201, by_province.text
    assert by_province.json()["granted_by"] == HA_NOI
    assert [e["reason"] for e in listed.json()] == [grant["reason"]]
    assert reopened["status"] == "accepted"
    assert reopened["timeliness"] == "late"


CLOSED = "99990"


async def test_a_closed_unit_is_refused_naming_its_successor_but_judged_as_then_for_earlier_periods(
    start_system: SystemFactory, database_url: str, clock: ScheduledClock
) -> None:
    # 5 July 2026: the second quarter is due (17 June) but not yet locked (17 July).
    move_to(clock, datetime(2026, 7, 5, 2, tzinfo=UTC))
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    try:
        await upsert_units(
            pool,
            [
                Unit(
                    code=CLOSED,
                    name="Phường Cũ",
                    level=Level.COMMUNE,
                    kind="phuong",
                    parent=HA_NOI,
                    valid_from=TWO_LEVEL_START,
                    valid_to=date(2026, 7, 1),
                    successor=HOAN_KIEM,
                )
            ],
        )
    finally:
        await pool.close()
    system = await start_system()

    after = await published(system, submission(CLOSED, period="2026-Q3"))
    before = await published(system, submission(CLOSED, period="2026-Q2"))

    assert after["status"] == "rejected"
    [reason] = after["reasons"]
    assert reason["code"] == "unit_closed"
    assert HOAN_KIEM in reason["message"]
    assert HOAN_KIEM in reason["message_en"]
    assert before["status"] == "accepted"


async def published(system: System, body: dict[str, Any]) -> dict[str, Any]:
    """Publish straight on NATS, as a commune's own system would, and wait for the verdict."""
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        await connection.jetstream().publish(
            subjects.submitted(HA_NOI, body["unit"]),
            json.dumps(body).encode(),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": body["submission_id"]},
        )
    finally:
        await connection.close()
    return await system.settled(body["submission_id"])


async def test_a_dry_run_answers_what_the_validator_would_say_and_stores_nothing(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    good = submission(HOAN_KIEM, procedures_online=150)
    bad = submission(HOAN_KIEM, procedures_online=300)

    accepted = await system.intake_http.post(
        "/v1/submissions", params={"dry_run": "true"}, json=good, headers=bearer(HOAN_KIEM)
    )
    rejected = await system.intake_http.post(
        "/v1/submissions", params={"dry_run": "true"}, json=bad, headers=bearer(HOAN_KIEM)
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["dry_run"] is True
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["timeliness"] == "on_time"
    assert [w["code"] for w in accepted.json()["warnings"]] == ["target_missed"]
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert [r["rule"] for r in rejected.json()["reasons"]] == ["procedures_online_bounded"]
    for body in (good, bad):
        lookup = await system.intake_http.get(
            f"/v1/submissions/{body['submission_id']}", headers=bearer(HOAN_KIEM)
        )
        assert lookup.status_code == 404
    connection = await nats.connect(system.nats_url, **ops_options())
    try:
        info = await connection.jetstream().stream_info(subjects.REPORTS_STREAM)
    finally:
        await connection.close()
    assert info.state.messages == 0


async def test_the_catalog_publishes_each_report_types_json_schema(
    start_system: SystemFactory,
) -> None:
    system = await start_system()

    unit = bearer(HOAN_KIEM)
    listing = (await system.intake_http.get("/v1/catalog", headers=unit)).json()
    schema_response = await system.intake_http.get("/v1/catalog/kl226-quarterly", headers=unit)
    missing = await system.intake_http.get("/v1/catalog/nope", headers=unit)

    assert {t["code"] for t in listing["report_types"]} == {"kl226-quarterly", "lg2-monthly"}
    assert schema_response.headers["content-type"].startswith("application/schema+json")
    schema = schema_response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    values = schema["properties"]["values"]
    assert values["additionalProperties"] is False
    assert values["properties"]["docs_issued"]["type"] == "integer"
    assert "docs_issued" in values["required"]
    assert {r["code"] for r in schema["x-baocao-rules"]} >= {"budget_within_plan"}
    assert (missing.status_code, missing.json()["reason"]) == (404, "unknown_report_type")
