"""Poison on the stream is parked with its bytes and its reason, and never holds up what follows.

A local system, or a buggy publisher, may put anything on a subject. What the consumers cannot
read goes to ``reports.deadletter.<consumer>`` exactly as it was stored, and the reports behind
it are judged and counted as if it had never been there.
"""

from __future__ import annotations

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from baocao.nats_identities import ops_options
from shared import subjects
from shared.decoding import decode_submission
from shared.schemas import Submission, Verdict
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, submission

pytestmark = pytest.mark.integration
QUARTER = "/v1/rollups/kl226-quarterly/2026-Q4"
PROVINCE, UNIT = "01", "00070"


def envelope(values: str) -> bytes:
    """A submission for 00070 with its ``values`` written out as raw JSON text."""
    return (
        '{"submission_id": "poisoned-0001", "report_type": "kl226-quarterly",'
        f' "period": "2026-Q4", "unit": "{UNIT}", "values": {values}}}'
    ).encode()


# Each is something decode_submission refuses, and so not a submission at all.
POISON = {
    "not JSON": b"\x00\xffnot json{",
    "nested deeper than any parser goes": envelope(
        '{"docs_issued": ' + "[" * 50_000 + "]" * 50_000 + "}"
    ),
    "values a nested list, not an object": envelope("[" * 500 + "]" * 500),
    "an integer of 5000 digits": envelope('{"docs_issued": ' + "9" * 5000 + "}"),
    "a key given twice": envelope('{"docs_issued": 80, "docs_issued": 8000}'),
}


async def publish(js: JetStreamContext, subject: str, data: bytes) -> int:
    """Publish ``data`` with no message id, as a careless publisher would; its stream sequence."""
    ack = await js.publish(subject, data, stream=subjects.REPORTS_STREAM)
    return ack.seq


async def messages_on(js: JetStreamContext, subject: str) -> list[Msg]:
    """Every message the REPORTS stream holds on ``subject``, oldest first."""
    subscription = await js.pull_subscribe(subject, stream=subjects.REPORTS_STREAM)
    try:
        expected = (await subscription.consumer_info()).num_pending or 0
        found: list[Msg] = []
        while len(found) < expected:
            found += await subscription.fetch(expected - len(found), timeout=5)
        return found
    finally:
        await subscription.unsubscribe()


async def assert_idle(js: JetStreamContext, durable: str) -> None:
    info = await js.consumer_info(subjects.REPORTS_STREAM, durable)
    assert info.num_pending == 0
    assert info.num_ack_pending == 0


async def connect(system: System) -> tuple[Client, JetStreamContext]:
    connection = await nats.connect(system.nats_url, **ops_options())
    return connection, connection.jetstream()


async def test_unreadable_submissions_are_dead_lettered_with_their_original_bytes(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    connection, js = await connect(system)
    try:
        sequences = {
            kind: await publish(js, subjects.submitted(PROVINCE, UNIT), data)
            for kind, data in POISON.items()
        }
        await system.drained()

        dead = {
            int((m.headers or {})["Baocao-Original-Sequence"]): m
            for m in await messages_on(js, subjects.dead_letter("validator"))
        }
    finally:
        await connection.close()

    assert sorted(dead) == sorted(sequences.values())
    for kind, seq in sequences.items():
        headers = dead[seq].headers or {}
        assert dead[seq].data == POISON[kind], kind
        assert headers["Baocao-Reason"] == "unreadable_submission", kind
        assert headers["Baocao-Original-Subject"] == subjects.submitted(PROVINCE, UNIT), kind
        assert headers["Baocao-Detail"], kind


async def test_the_sender_of_an_unreadable_submission_gets_a_rejection_event(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    connection, js = await connect(system)
    try:
        sequences = {
            kind: await publish(js, subjects.submitted(PROVINCE, UNIT), data)
            for kind, data in POISON.items()
        }
        await system.drained()

        rejections = {
            verdict.stream_seq: verdict
            for verdict in (
                Verdict.model_validate_json(m.data)
                for m in await messages_on(js, subjects.rejected(PROVINCE, UNIT))
            )
        }
    finally:
        await connection.close()

    for kind, seq in sequences.items():
        verdict = rejections[seq]
        # Published without a message id, it is known by its sequence, the sender's PubAck.
        assert verdict.submission_id == f"seq-{seq}", kind
        assert verdict.status == "rejected", kind
        assert verdict.reasons, kind
        assert {r.code for r in verdict.reasons} <= {"malformed_json", "invalid_envelope"}, kind
        assert all(r.message and r.message_en for r in verdict.reasons), kind


async def test_a_report_sent_after_poison_submissions_is_accepted_and_counted(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(UNIT)
    connection, js = await connect(system)
    try:
        for data in POISON.values():
            await publish(js, subjects.submitted(PROVINCE, UNIT), data)
        assert (await system.submit(body)).status_code == 202

        status = await system.settled(body["submission_id"])

        assert status["status"] == "accepted"
        national = await system.rollup(QUARTER)
        assert national["completeness"]["submitted"] == 1
        assert national["values"]["docs_issued"] == 80
        await assert_idle(js, "validator")
    finally:
        await connection.close()


async def test_an_unreadable_verdict_is_dead_lettered_and_later_verdicts_are_rolled_up(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    garbage = b"\x00\xffnot a verdict{"
    body = submission(UNIT)
    connection, js = await connect(system)
    try:
        seq = await publish(js, subjects.accepted(PROVINCE, UNIT), garbage)
        assert (await system.submit(body)).status_code == 202

        status = await system.settled(body["submission_id"])

        assert status["status"] == "accepted"
        national = await system.rollup(QUARTER)
        assert national["completeness"]["submitted"] == 1
        assert national["values"]["docs_issued"] == 80
        await assert_idle(js, "aggregator")
        [dead] = await messages_on(js, subjects.dead_letter("aggregator"))
    finally:
        await connection.close()

    headers = dead.headers or {}
    assert dead.data == garbage
    assert headers["Baocao-Reason"] == "unreadable_verdict"
    assert headers["Baocao-Original-Sequence"] == str(seq)
    assert headers["Baocao-Original-Subject"] == subjects.accepted(PROVINCE, UNIT)


def test_the_samples_are_poison_only_for_what_they_carry() -> None:
    """The envelope around them is a readable submission; none of the samples decodes."""
    assert isinstance(decode_submission(envelope("{}")), Submission)
    for kind, data in POISON.items():
        assert isinstance(decode_submission(data), list), kind
