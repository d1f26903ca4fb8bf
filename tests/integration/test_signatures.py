"""Signed submissions against real NATS and PostgreSQL: keys registered, rotated and revoked
with `baocao signing-key` while the validator runs, forgeries and replays refused, and
`baocao verify` checking an accepted report again from what was kept (docs/signatures.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao import signing_cli
from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
from baocao.unit_keys import UnitKeys
from shared import subjects
from shared.clock import ClockSegment
from shared.signing import sign
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission
from tests.ledger import LEDGER

pytestmark = pytest.mark.integration

HOAN_KIEM = "00070"
BA_DINH = "00004"
HA_NOI = "01"


@pytest.fixture
def keys(tmp_path: Path) -> UnitKeys:
    return UnitKeys(tmp_path / "unit-keys")


async def new_key(database_url: str, keys: UnitKeys, unit: str, *, rotate: bool = False) -> str:
    said: list[str] = []
    code = await signing_cli.add_key(database_url, keys, unit, said.append, rotate=rotate)
    assert code == 0, said
    key = keys.current(unit)
    assert key is not None
    return key.key_id


def signed(keys: UnitKeys, body: dict[str, Any]) -> dict[str, Any]:
    return dict(keys.signed(body["unit"], body))


async def judged(system: System, body: dict[str, Any]) -> dict[str, Any]:
    response = await system.submit(body)
    assert response.status_code == 202, response.text
    return await system.settled(body["submission_id"])


async def verified(database_url: str, submission_id: str) -> tuple[int, str]:
    said: list[str] = []
    code = await signing_cli.verify(database_url, submission_id, said.append)
    return code, "\n".join(said)


def codes(status: dict[str, Any]) -> list[str]:
    return [r["code"] for r in status["reasons"]]


async def history(system: System, unit: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.validator.app()), base_url="http://validator"
    ) as validator:
        response = await validator.get(f"/v1/units/{unit}/submissions", headers=bearer(unit))
    assert response.status_code == 200, response.text
    return {s["submission_id"]: s for s in response.json()["submissions"]}


async def test_a_signed_report_is_accepted_and_its_status_history_and_verify_name_the_key(
    start_system: SystemFactory, database_url: str, keys: UnitKeys
) -> None:
    system = await start_system()
    key_id = await new_key(database_url, keys, HOAN_KIEM)
    body = signed(keys, submission(HOAN_KIEM))

    receipt = (await system.submit(body)).json()
    status = await system.settled(body["submission_id"])

    assert receipt["key_id"] == key_id
    assert datetime.fromisoformat(receipt["signed_at"]) == datetime.fromisoformat(body["signed_at"])
    assert (status["status"], status["reasons"], status["warnings"]) == ("accepted", [], [])
    assert status["key_id"] == key_id
    assert datetime.fromisoformat(status["signed_at"]) == datetime.fromisoformat(body["signed_at"])
    item = (await history(system, HOAN_KIEM))[body["submission_id"]]
    assert item["signature"] == body["signature"]
    code, said = await verified(database_url, body["submission_id"])
    assert code == 0, said
    assert f"signed by unit {HOAN_KIEM} with key {key_id} (Ed25519)" in said
    assert "signature: VALID" in said


async def test_forged_replayed_and_unknown_key_signatures_are_refused_as_invalid(
    start_system: SystemFactory, database_url: str, keys: UnitKeys
) -> None:
    system = await start_system()
    await new_key(database_url, keys, HOAN_KIEM)
    await new_key(database_url, keys, BA_DINH)
    forged = signed(keys, submission(HOAN_KIEM))
    forged["values"]["docs_issued"] += 1  # changed after signing
    # Ba Đình's signed report, sent by Hoàn Kiếm as its own.
    replayed = {**signed(keys, submission(BA_DINH)), "unit": HOAN_KIEM}
    stranger = sign(
        submission(HOAN_KIEM),
        Ed25519PrivateKey.generate(),
        "20261201-0123456789ab",
        datetime.now(UTC),
    )

    for what, body in (
        ("a value changed after signing", forged),
        ("another unit's signed report replayed as one's own", replayed),
        ("a key the unit never registered", stranger),
    ):
        status = await judged(system, body)
        refused = status["status"] == "rejected" and codes(status) == ["signature_invalid"]
        LEDGER.record(f"signature: {what}", refused)
        assert refused, status
        assert status["reasons"][0]["message"].startswith("Chữ ký số không hợp lệ")

    code, said = await verified(database_url, forged["submission_id"])
    assert code == 1
    assert "signature: NOT VALID (signature_invalid)" in said


async def test_a_key_rotated_mid_round_leaves_both_keys_reports_accepted(
    start_system: SystemFactory, database_url: str, keys: UnitKeys
) -> None:
    system = await start_system()
    old_id = await new_key(database_url, keys, HOAN_KIEM)
    old_key = keys.current(HOAN_KIEM)
    assert old_key is not None
    before = signed(keys, submission(HOAN_KIEM, docs_issued=80))
    assert (await judged(system, before))["status"] == "accepted"

    new_id = await new_key(database_url, keys, HOAN_KIEM, rotate=True)
    after = signed(keys, submission(HOAN_KIEM, docs_issued=90))
    stale = sign(submission(HOAN_KIEM), old_key.private, old_id, datetime.now(UTC))

    assert (await judged(system, after))["status"] == "accepted"
    status = await judged(system, stale)
    refused = codes(status) == ["signature_invalid"]
    LEDGER.record("signature: the old key used after its rotation", refused)
    assert refused, status
    assert "was not valid at signed_at" in status["reasons"][0]["message_en"]
    items = await history(system, HOAN_KIEM)
    assert items[before["submission_id"]]["signature"]["key_id"] == old_id
    assert items[after["submission_id"]]["signature"]["key_id"] == new_id
    assert (await verified(database_url, before["submission_id"]))[0] == 0


async def test_a_revoked_key_refuses_what_is_received_after_and_verify_says_so(
    start_system: SystemFactory, database_url: str, keys: UnitKeys
) -> None:
    system = await start_system()
    key_id = await new_key(database_url, keys, HOAN_KIEM)
    before = signed(keys, submission(HOAN_KIEM))
    assert (await judged(system, before))["status"] == "accepted"  # received at 09:00
    # An hour later the unit's laptop is stolen; the key is revoked from then on.
    system.clock.replace(
        [
            *system.clock.segments,
            ClockSegment(datetime.now(UTC), datetime(2026, 12, 10, 4, tzinfo=UTC), 0),
        ]
    )
    said: list[str] = []
    assert (
        await signing_cli.revoke(
            database_url,
            HOAN_KIEM,
            key_id,
            "máy tính bị mất",
            said.append,
            datetime(2026, 12, 10, 3, tzinfo=UTC),
        )
        == 0
    )
    backdated = signed(keys, submission(HOAN_KIEM))

    status = await judged(system, backdated)

    refused = codes(status) == ["key_revoked"]
    LEDGER.record("signature: a revoked key", refused)
    assert refused, status
    assert "10:00 10/12/2026" in status["reasons"][0]["message"]
    code, said_then = await verified(database_url, before["submission_id"])
    assert code == 0, said_then
    assert "revoked after this submission was received" in said_then
    assert "máy tính bị mất" in said_then


async def test_unsigned_reports_follow_each_units_transition_date(
    start_system: SystemFactory, database_url: str
) -> None:
    system = await start_system()
    said: list[str] = []
    # System time is 10 December 2026, before the default date (1 July 2027).
    await signing_cli.set_policy(
        database_url, HOAN_KIEM, datetime(2026, 12, 1, tzinfo=UTC), said.append
    )
    await signing_cli.set_policy(
        database_url, BA_DINH, datetime(2027, 1, 15, tzinfo=UTC), said.append
    )

    required = await judged(system, submission(HOAN_KIEM))
    announced = await judged(system, submission(BA_DINH))
    default = await judged(system, submission("00091"))

    refused = codes(required) == ["signature_missing"]
    LEDGER.record("signature: an unsigned report after the unit's date", refused)
    assert refused, required
    assert announced["status"] == "accepted"
    assert [w["code"] for w in announced["warnings"]] == ["signature_missing"]
    assert (default["status"], default["warnings"]) == ("accepted", [])


async def test_a_signed_report_published_on_nats_is_verified_from_the_bytes_sent(
    start_system: SystemFactory,
    database_url: str,
    keys: UnitKeys,
    nats_identities: NatsIdentities,
) -> None:
    """Pretty-printed, members in another order: the canonical form is the same."""
    system = await start_system()
    await new_key(database_url, keys, HOAN_KIEM)
    body = signed(keys, submission(HOAN_KIEM))
    data = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    systems = LocalSystems(system.nats_url, nats_identities)
    try:
        js = await systems.jetstream(HA_NOI, HOAN_KIEM)
        await js.publish(
            subjects.submitted(HA_NOI, HOAN_KIEM),
            data,
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": body["submission_id"]},
        )
    finally:
        await systems.close()

    status = await system.settled(body["submission_id"])

    assert (status["status"], status["reasons"]) == ("accepted", [])
    assert (await verified(database_url, body["submission_id"]))[0] == 0


async def test_a_registered_key_is_never_deleted_or_rewritten_only_ended_or_revoked_once(
    database_url: str, keys: UnitKeys
) -> None:
    await new_key(database_url, keys, HOAN_KIEM)
    connection = await asyncpg.connect(database_url)  # the owner
    try:
        for what, statement in (
            ("deleted", "DELETE FROM unit_signing_keys"),
            # CASCADE: device_presence (migration 0013) references it.
            ("truncated", "TRUNCATE unit_signing_keys CASCADE"),
            ("given another public key", f"UPDATE unit_signing_keys SET public_key = '{'A' * 43}'"),
            ("made valid earlier", "UPDATE unit_signing_keys SET valid_from = '2020-01-01Z'"),
        ):
            try:
                await connection.execute(statement)
            except asyncpg.InsufficientPrivilegeError:
                refused = True
            else:
                refused = False
            LEDGER.record(f"signature: a registered key {what}", refused)
            assert refused, what
        await connection.execute("UPDATE unit_signing_keys SET valid_to = now()")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="once each"):
            await connection.execute("UPDATE unit_signing_keys SET valid_to = '2030-01-01Z'")
    finally:
        await connection.close()
