"""An edge at a commune against a real hub: a leaf nats-server with its own outbox, reached
through a loopback proxy that cuts the link. What the commune's system publishes while the
link is down reaches the hub's REPORTS when it is back, once, intact; and what an edge's owner
slips into its outbox reaches REPORTS only as its own unit's submission (ADR 0024)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client

from baocao.edge_hub import edge_links, register_edge
from baocao.edge_node import EdgeBundle, EdgeServer, make_bundle, outbox_status, provision_outbox
from baocao.embedded import EmbeddedNats
from baocao.link_proxy import LinkProxy
from baocao.nats_identities import NatsIdentities
from baocao.nats_provisioning import provision
from baocao.processes import free_port
from shared import subjects
from shared.nats_permissions import Unit
from tests.ledger import LEDGER

pytestmark = pytest.mark.integration

BA_DINH = Unit("01", "00004")
REPORT = "reports.submitted.01.00004"


@dataclass
class Edge:
    server: EdgeServer
    bundle: EdgeBundle
    link: LinkProxy
    ops: Client  # the hub's operator


@pytest.fixture
async def edge(
    tmp_path: Path, hub: EmbeddedNats, nats_identities: NatsIdentities
) -> AsyncIterator[Edge]:
    ops = await nats.connect(hub.url, **nats_identities.options("ops"))
    await provision(ops.jetstream())
    assert hub.leafnode_port is not None
    link = LinkProxy(("127.0.0.1", hub.leafnode_port), seed=17)
    await link.start()
    bundle = make_bundle(
        nats_identities.authority, BA_DINH, link.url("nats-leaf"), tmp_path / "bundle"
    )
    assert await register_edge(ops, BA_DINH.province, BA_DINH.code)
    server = EdgeServer(bundle, tmp_path / "edge", port=free_port())
    server.start()
    admin = await server.connect("admin")
    await provision_outbox(admin, BA_DINH.province, BA_DINH.code)
    await admin.close()
    try:
        yield Edge(server, bundle, link, ops)
    finally:
        await ops.close()
        server.stop()
        await link.close()


async def reports(ops: Client) -> list[dict[str, Any]]:
    """Every message in the hub's REPORTS: subject, Nats-Msg-Id, body."""
    found = []
    info = await ops.jetstream().stream_info(subjects.REPORTS_STREAM)
    if not info.state.messages:
        return []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await ops.jetstream().get_msg(subjects.REPORTS_STREAM, seq)
        headers = message.headers or {}
        found.append(
            {"subject": message.subject, "id": headers.get("Nats-Msg-Id"), "data": message.data}
        )
    return found


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def body(submission_id: str, unit: str = BA_DINH.code) -> bytes:
    return json.dumps({"submission_id": submission_id, "unit": unit}).encode()


async def test_a_report_published_while_the_link_is_down_reaches_the_hub_once_when_it_is_back(
    edge: Edge,
) -> None:
    edge.link.cut("refuse")
    system = await edge.server.connect("unit")
    ack = await system.jetstream().publish(
        REPORT, body("edge-0001"), headers={"Nats-Msg-Id": "edge-0001"}
    )
    again = await system.jetstream().publish(
        REPORT, body("edge-0001"), headers={"Nats-Msg-Id": "edge-0001"}
    )
    admin = await edge.server.connect("admin")
    waiting = await outbox_status(admin)

    assert (ack.stream, ack.domain, again.duplicate) == (
        subjects.EDGE_OUTBOX,
        subjects.edge_domain(BA_DINH.code),
        True,
    )
    assert (waiting.stored, waiting.unsent) == (1, 1)
    age = waiting.oldest_unsent_age(datetime.now(UTC))
    assert age is not None
    assert age.total_seconds() < 60
    assert await reports(edge.ops) == []

    edge.link.restore()

    async def arrived() -> bool:
        return len(await reports(edge.ops)) == 1

    await eventually(arrived)
    await asyncio.sleep(2)  # and nothing more comes
    [stored] = await reports(edge.ops)
    assert (stored["subject"], stored["id"], stored["data"]) == (
        REPORT,
        "edge-0001",
        body("edge-0001"),
    )

    async def handed_over() -> bool:
        return (await outbox_status(admin)).unsent == 0

    await eventually(handed_over)
    [link] = await edge_links(edge.ops, [BA_DINH.province])
    assert (link.unit, link.province) == (BA_DINH.code, BA_DINH.province)
    assert link.last_heard is not None
    assert link.last_heard.total_seconds() < 30
    await system.close()
    await admin.close()


async def test_what_an_edges_owner_slips_into_its_outbox_reaches_reports_only_as_its_own_unit(
    edge: Edge, nats_identities: NatsIdentities
) -> None:
    # The edge's owner controls the machine: here, with full rights on the edge.
    owner = await nats.connect(edge.server.url, **nats_identities.options("ops"))
    api = f"$JS.{subjects.edge_domain(BA_DINH.code)}.API"
    info = json.loads(
        (await owner.request(f"{api}.STREAM.INFO.{subjects.EDGE_OUTBOX}", b"", timeout=5)).data
    )
    widened = {**info["config"], "subjects": ["reports.>", "evil.>"]}
    await owner.request(
        f"{api}.STREAM.UPDATE.{subjects.EDGE_OUTBOX}", json.dumps(widened).encode(), timeout=5
    )
    forged = {
        "reports.accepted.01.00004": "forged-verdict",
        "reports.submitted.01.00007": "neighbours-report",
        "reports.submitted.01.keyed.00007": "keyed-mark",
        "reports.submitted.79.26506": "other-province",
        "evil.x": "anything",
    }
    for subject, submission_id in forged.items():
        await owner.jetstream(domain=subjects.edge_domain(BA_DINH.code)).publish(
            subject,
            body(submission_id, subject.rsplit(".", 1)[-1]),
            headers={"Nats-Msg-Id": submission_id},
        )
    system = await edge.server.connect("unit")
    await system.jetstream().publish(REPORT, body("own-0001"), headers={"Nats-Msg-Id": "own-0001"})

    async def own_arrived() -> bool:
        return any(r["id"] == "own-0001" for r in await reports(edge.ops))

    await eventually(own_arrived)
    await asyncio.sleep(2)
    stored = {r["id"]: r["subject"] for r in await reports(edge.ops)}

    # Only submissions of the province reach REPORTS, and under the edge's own unit: the
    # neighbour's report is then the validator's subject_mismatch.
    assert stored == {"own-0001": REPORT, "neighbours-report": REPORT}
    for subject, submission_id in forged.items():
        if submission_id != "neighbours-report":
            LEDGER.record(f"edge: an owner's {subject} into REPORTS", submission_id not in stored)
    await owner.close()
    await system.close()


async def test_provisioning_the_hub_again_keeps_the_edges_it_sources(edge: Edge) -> None:
    await provision(edge.ops.jetstream())
    system = await edge.server.connect("unit")
    await system.jetstream().publish(
        REPORT, body("after-0001"), headers={"Nats-Msg-Id": "after-0001"}
    )

    async def arrived() -> bool:
        return [r["id"] for r in await reports(edge.ops)] == ["after-0001"]

    await eventually(arrived)
    await system.close()


async def test_an_edge_logged_in_with_another_units_leaf_credentials_carries_nothing(
    tmp_path: Path, edge: Edge, nats_identities: NatsIdentities
) -> None:
    neighbour = make_bundle(
        nats_identities.authority, Unit("01", "00007"), edge.bundle.hub_leaf_url, tmp_path / "n"
    )
    own = edge.bundle.creds("leaf").read_text()
    edge.server.stop()
    edge.bundle.creds("leaf").write_text(neighbour.creds("leaf").read_text())
    edge.server.start()
    system = await edge.server.connect("unit")
    await system.jetstream().publish(
        REPORT, body("stolen-0001"), headers={"Nats-Msg-Id": "stolen-0001"}
    )
    await asyncio.sleep(8)  # well past the hub's 5 s wait before it resets a source

    carried = await reports(edge.ops)
    LEDGER.record("edge: a leaf logged in with another unit's credentials", carried == [])
    assert carried == []
    await system.close()

    # With its own credentials again, the same report goes through: it was only the login.
    edge.server.stop()
    edge.bundle.creds("leaf").write_text(own)
    edge.server.start()

    async def arrived() -> bool:
        return [r["id"] for r in await reports(edge.ops)] == ["stolen-0001"]

    await eventually(arrived)


async def test_a_slow_lossy_flapping_link_and_an_edge_killed_mid_backlog_lose_and_double_nothing(
    edge: Edge,
) -> None:
    """64 kbit/s with loss and jitter, the link flapping, the edge's machine killed (kill -9)
    and restarted while its backlog is moving: every report reaches REPORTS exactly once."""
    edge.link.shape(rate_bits_per_second=64_000, loss=0.02, jitter_seconds=0.05)
    flapping = edge.link.flap(1.5, jitter_seconds=0.3, for_seconds=9.0)
    sent = {f"weak-{n:04d}": body(f"weak-{n:04d}") + b" " * 300 for n in range(120)}
    system = await edge.server.connect("unit")
    for number, (submission_id, data) in enumerate(sent.items()):
        await system.jetstream().publish(REPORT, data, headers={"Nats-Msg-Id": submission_id})
        if number == 60:
            await system.close()
            edge.server.kill()
            edge.server.start()
            system = await edge.server.connect("unit")
    await system.close()
    cuts = await flapping

    async def all_arrived() -> bool:
        return len(await reports(edge.ops)) >= len(sent)

    await eventually(all_arrived, timeout=90)
    await asyncio.sleep(3)  # and nothing more comes
    stored = await reports(edge.ops)

    assert cuts >= 2
    assert len(stored) == len(sent)
    assert {r["id"]: r["data"] for r in stored} == sent
    assert {r["subject"] for r in stored} == {REPORT}
