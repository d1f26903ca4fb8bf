"""Two communes behind edges lose their link for 72 hours across the deadline (issue 17). One
signed its report before the deadline, the other after; both reports reach the hub when the link
is back. The hub recorded the silence itself, so the first is judged on time and the second
late; each once, and the province's rollup counts them so."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao.edge_hub import edge_links, register_edge
from baocao.edge_node import EdgeServer, make_bundle, provision_outbox
from baocao.embedded import EmbeddedNats
from baocao.link_proxy import LinkProxy
from baocao.nats_identities import NatsIdentities
from baocao.processes import free_port
from baocao.unit_keys import PublicKey, register
from shared.clock import ClockSegment, ScheduledClock
from shared.identity import Role
from shared.nats_permissions import Unit
from shared.signing import encode_value, sign
from tests.integration.conftest import SystemFactory, _provision
from tests.integration.system import System, bearer, eventually, submission

pytestmark = pytest.mark.integration

BA_DINH, HOAN_KIEM = Unit("01", "00004"), Unit("01", "00070")
# The communes' deadline for 2026-Q4 is 17/12/2026 23:59:59 in Vietnam (16:59:59 UTC).
LAST_HEARD = datetime(2026, 12, 16, 20, 0, tzinfo=UTC)
SIGNED_ON_TIME = datetime(2026, 12, 17, 10, 0, tzinfo=UTC)
SIGNED_LATE = datetime(2026, 12, 18, 12, 0, tzinfo=UTC)
BACK = LAST_HEARD + timedelta(hours=72)


@pytest.fixture
def nats_server(hub: EmbeddedNats, nats_identities: NatsIdentities) -> EmbeddedNats:
    """The system tests' hub takes edges here, provisioned as theirs is (with the shared
    clock's bucket)."""
    asyncio.run(_provision(hub.url, nats_identities))
    return hub


@pytest.fixture
def clock() -> ScheduledClock:
    return ScheduledClock([ClockSegment(datetime.now(UTC), LAST_HEARD, 0)])


def move_to(clock: ScheduledClock, instant: datetime) -> None:
    clock.replace([*clock.segments, ClockSegment(datetime.now(UTC), instant, 0)])


@dataclass
class Commune:
    unit: Unit
    edge: EdgeServer
    key: Ed25519PrivateKey

    async def send_signed(self, at: datetime, **values: Any) -> str:
        """What the commune's system does: sign the report at ``at`` and publish it to its
        edge, the link up or not."""
        document = sign(submission(self.unit.code, **values), self.key, "edge-k1", at)
        system = await self.edge.connect("unit")
        try:
            await system.jetstream().publish(
                f"reports.submitted.{self.unit.province}.{self.unit.code}",
                json.dumps(document).encode(),
                headers={"Nats-Msg-Id": document["submission_id"]},
            )
        finally:
            await system.close()
        return str(document["submission_id"])


async def start_communes(
    units: list[Unit],
    where: Path,
    hub: EmbeddedNats,
    identities: NatsIdentities,
    database_url: str,
    link: LinkProxy,
) -> list[Commune]:
    """Each commune's edge, sourced by the hub through ``link``, and its signing key
    registered, as ops and the commune set them up (docs/weak-networks.md)."""
    ops = await nats.connect(hub.url, **identities.options("ops"))
    owner = await asyncpg.connect(database_url)
    started: list[Commune] = []
    try:
        for unit in units:
            bundle = make_bundle(
                identities.authority, unit, link.url("nats-leaf"), where / unit.code
            )
            assert await register_edge(ops, unit.province, unit.code)
            edge = EdgeServer(bundle, where / f"edge-{unit.code}", port=free_port())
            edge.start()
            admin = await edge.connect("admin")
            await provision_outbox(admin, unit.province, unit.code)
            await admin.close()
            key = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            await register(
                owner,
                [PublicKey(unit.code, "edge-k1", encode_value(raw))],
                datetime(2026, 1, 1, tzinfo=UTC),
            )
            started.append(Commune(unit, edge, key))
    finally:
        await owner.close()
        await ops.close()
    return started


async def until_heard(hub: EmbeddedNats, units: list[Unit]) -> None:
    ops = await nats.connect(hub.url, **NatsIdentities.of().options("ops"))
    provinces = sorted({u.province for u in units})

    async def all_heard() -> bool:
        links = await edge_links(ops, provinces)
        return {e.unit for e in links if e.last_heard is not None} >= {u.code for u in units}

    try:
        await eventually(all_heard, timeout=60)
    finally:
        await ops.close()


async def until_recorded_silent(database_url: str, units: list[Unit], at: datetime) -> None:
    """Until the hub has seen every unit's edge silent at ``at`` or later."""

    async def recorded() -> bool:
        until = {r["unit"]: r["silent_until"] for r in await spells(database_url) if r["open"]}
        return all(u.code in until and until[u.code] >= at for u in units)

    await eventually(recorded, timeout=60)


@pytest.fixture
async def communes(
    tmp_path: Path,
    nats_server: EmbeddedNats,
    nats_identities: NatsIdentities,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[LinkProxy, list[Commune]]]:
    monkeypatch.setenv("VALIDATOR_EDGE_WATCH_SECONDS", "0.5")
    assert nats_server.leafnode_port is not None
    link = LinkProxy(("127.0.0.1", nats_server.leafnode_port), seed=226)
    await link.start()
    started: list[Commune] = []
    try:
        started = await start_communes(
            [BA_DINH, HOAN_KIEM], tmp_path, nats_server, nats_identities, database_url, link
        )
        yield link, started
    finally:
        for commune in started:
            commune.edge.stop()
        await link.close()


async def spells(database_url: str) -> list[dict[str, Any]]:
    owner = await asyncpg.connect(database_url)
    try:
        rows = await owner.fetch("SELECT unit, began, silent_until, open FROM edge_link_spells")
    finally:
        await owner.close()
    return [dict(r) for r in rows]


async def test_a_72_hour_cut_across_the_deadline_judges_each_commune_by_when_it_signed(
    start_system: SystemFactory,
    communes: tuple[LinkProxy, list[Commune]],
    clock: ScheduledClock,
    database_url: str,
    nats_server: EmbeddedNats,
) -> None:
    link, (ba_dinh, hoan_kiem) = communes
    system: System = await start_system()

    await until_heard(nats_server, [BA_DINH, HOAN_KIEM])
    link.cut("refuse")
    await until_recorded_silent(database_url, [BA_DINH, HOAN_KIEM], LAST_HEARD)
    move_to(clock, SIGNED_ON_TIME)
    on_time = await ba_dinh.send_signed(SIGNED_ON_TIME)
    move_to(clock, SIGNED_LATE)
    late = await hoan_kiem.send_signed(SIGNED_LATE)
    move_to(clock, BACK)
    await until_recorded_silent(database_url, [BA_DINH, HOAN_KIEM], BACK)
    link.restore()

    first = await system.settled(on_time)
    second = await system.settled(late)

    assert (first["status"], first["timeliness"]) == ("accepted", "on_time")
    assert (second["status"], second["timeliness"]) == ("accepted", "late")
    # Both were judged by when they were signed, and the status says so, with the silence.
    assert first["counted_from"]["at"] == SIGNED_ON_TIME.isoformat().replace("+00:00", "Z")
    assert (first["counted_from"]["basis"], first["counted_from"]["grounds"]) == (
        "signed",
        "offline",
    )
    assert second["counted_from"]["basis"] == "signed"
    assert first["received_at"] > first["counted_from"]["at"]
    province = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert (province["completeness"]["on_time"], province["completeness"]["late"]) == (1, 1)
    recorded = {r["unit"]: r for r in await spells(database_url)}
    assert recorded["00004"]["began"] <= LAST_HEARD
    assert recorded["00004"]["silent_until"] == BACK


# --- a clerk's browser, offline across the deadline -----------------------------------------


async def test_a_browser_offline_across_the_deadline_is_judged_by_when_it_signed(
    start_system: SystemFactory, clock: ScheduledClock
) -> None:
    """The browser registers its key and keeps in touch while online (intake's /v1/devices);
    out of touch for two days across the deadline, it signs one report before the deadline and
    one after; both are sent when it is back, its first contact first."""
    system: System = await start_system()
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = "web-Tr9Lq2ZbXw8Ke4VmNc7PsA"
    clerk = bearer(BA_DINH.code, Role.SUBMITTER)
    registered = await system.intake_http.post(
        "/v1/devices", json={"key_id": key_id, "public_key": encode_value(raw)}, headers=clerk
    )
    assert registered.status_code == 201, registered.text
    await system.intake_http.post(f"/v1/devices/{key_id}/seen", headers=clerk)

    signed = {"on_time": SIGNED_ON_TIME, "late": SIGNED_LATE}
    bodies = {name: sign(submission(BA_DINH.code), key, key_id, at) for name, at in signed.items()}
    move_to(clock, BACK)
    back = await system.intake_http.post(f"/v1/devices/{key_id}/seen", headers=clerk)
    assert back.status_code == 204
    ids = {}
    for name, document in bodies.items():
        answer = await system.intake_http.post(
            "/v1/submissions", content=json.dumps(document), headers=clerk
        )
        assert answer.status_code == 202, answer.text
        ids[name] = str(document["submission_id"])

    first, second = await system.settled(ids["on_time"]), await system.settled(ids["late"])

    assert (first["timeliness"], first["counted_from"]["basis"]) == ("on_time", "signed")
    assert (second["timeliness"], second["counted_from"]["basis"]) == ("late", "signed")
    assert first["key_id"] == key_id
