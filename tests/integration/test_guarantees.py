"""Nothing lost, nothing counted twice; corrections win; rejections explain themselves."""

from __future__ import annotations

import json

import nats
import pytest

from baocao.nats_identities import ops_options
from shared import subjects
from tests.integration.conftest import SystemFactory
from tests.integration.system import submission

pytestmark = pytest.mark.integration
QUARTER = "/v1/rollups/kl226-quarterly/2026-Q4"


async def test_a_duplicate_submission_gets_the_same_receipt_and_is_counted_once(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission("00070")

    first = await system.submit(body)
    second = await system.submit(body)
    await system.settled(body["submission_id"])

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    national = await system.rollup(QUARTER)
    assert national["completeness"]["submitted"] == 1
    assert national["values"]["docs_issued"] == 80


async def test_a_correction_replaces_earlier_values_at_every_level(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    original = submission("00070", docs_issued=80)
    neighbour = submission("00073", docs_issued=5)
    correction = submission("00070", docs_issued=60)
    for body in (original, neighbour):
        assert (await system.submit(body)).status_code == 202
    await system.settled(original["submission_id"])
    assert (await system.submit(correction)).status_code == 202

    await system.settled(correction["submission_id"])

    commune = await system.rollup(f"{QUARTER}/00070")
    province = await system.rollup(f"{QUARTER}/01")
    national = await system.rollup(QUARTER)
    assert commune["values"]["docs_issued"] == 60
    assert province["values"]["docs_issued"] == 65
    assert national["values"]["docs_issued"] == 65
    assert national["completeness"]["submitted"] == 2
    superseded = await system.status(original["submission_id"])
    assert superseded["status"] == "superseded"
    assert superseded["superseded_by"] == correction["submission_id"]


async def test_an_invalid_report_is_rejected_with_its_reasons_and_never_replaces_a_valid_one(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    valid = submission("00070")
    invalid = submission("00070", conferences_online=99, procedures_online=-1)
    assert (await system.submit(valid)).status_code == 202
    await system.settled(valid["submission_id"])
    assert (await system.submit(invalid)).status_code == 202

    status = await system.settled(invalid["submission_id"])

    assert status["status"] == "rejected"
    codes = {(r["code"], r.get("indicator")) for r in status["reasons"]}
    assert ("negative_value", "procedures_online") in codes
    assert all(r["message"] and r["message_en"] for r in status["reasons"])
    national = await system.rollup(QUARTER)
    assert national["values"]["conferences_online"] == 7
    assert (await system.status(valid["submission_id"]))["status"] == "accepted"


async def test_a_rule_violation_names_the_rule(start_system: SystemFactory) -> None:
    system = await start_system()
    body = submission("00070", conferences_online=99)
    await system.submit(body)

    status = await system.settled(body["submission_id"])

    assert status["status"] == "rejected"
    assert [r["rule"] for r in status["reasons"]] == ["conferences_split"]


async def test_a_report_published_on_nats_is_judged_and_counted(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission("00070")
    connection = await nats.connect(system.nats_url, **ops_options())
    js = connection.jetstream()
    try:
        await js.publish(
            subjects.submitted("01", "00070"),
            json.dumps(body).encode(),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": body["submission_id"]},
        )
        await js.publish(
            subjects.submitted("01", "00070"),
            json.dumps(body).encode(),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": body["submission_id"]},
        )
        await js.publish(
            subjects.submitted("01", "00070"),
            b"{not json",
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": "broken-message-1"},
        )
    finally:
        await connection.close()

    status = await system.settled(body["submission_id"])
    broken = await system.settled("unreadable:broken-message-1")

    assert status["status"] == "accepted"
    assert broken["status"] == "rejected"
    assert broken["reasons"][0]["code"] == "malformed_json"
    assert (await system.rollup(QUARTER))["completeness"]["submitted"] == 1


async def test_a_redelivered_verdict_does_not_count_twice(start_system: SystemFactory) -> None:
    system = await start_system()
    body = submission("00070")
    await system.submit(body)
    await system.settled(body["submission_id"])
    connection = await nats.connect(system.nats_url, **ops_options())
    js = connection.jetstream()
    try:
        stored = await js.get_last_msg(subjects.REPORTS_STREAM, subjects.accepted("01", "00070"))
        # The same event again, as after a crash between publish and ack beyond the dedup window.
        await js.publish(
            subjects.accepted("01", "00070"),
            stored.data or b"",
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": "replayed-verdict"},
        )
    finally:
        await connection.close()
    await system.drained()

    national = await system.rollup(QUARTER)
    assert national["completeness"]["submitted"] == 1
    assert national["values"]["docs_issued"] == 80
