"""What edges cost the hub: every commune behind an edge, sourced through the province landing
streams exactly as `baocao edge add` sets them up (ADR 0024).

One machine cannot run 3,321 nats-servers, so the edges are a proxy that the research for ADR
0024 checked against up to 300 real ones: a few edge servers, each with its own JetStream
domain, hold one outbox and one durable ``HUB`` consumer per commune. The hub then runs one
source per commune, with the same heartbeats and flow control, over a few leaf connections.
What it does not show is the cost of thousands of TCP links (about 0.2 MB each with
compression off, measured there).

Measured:
- the hub's memory with every source attached;
- its CPU while they idle (each source hears a heartbeat a second);
- the catch-up: the hub down, one report stored at every edge, the hub back, until `REPORTS`
  holds them all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from baocao.edge_hub import landing_source
from baocao.edge_node import leaf_node_config, trust_of
from baocao.embedded import EmbeddedNats
from baocao.embedded_nats import start_nats_server
from baocao.jetstream_api import checked
from baocao.nats_authority import NatsAuthority, write_creds
from baocao.nats_identities import connect_options
from baocao.nats_provisioning import provision
from baocao.processes import free_port, stop_process
from shared import subjects
from shared.nats_grants import Permissions, Rules
from shared.registry import Unit

TICKS = os.sysconf("SC_CLK_TCK")
API_TIMEOUT_SECONDS = 60.0
CATCH_UP_LIMIT_SECONDS = 600.0


@dataclass(frozen=True)
class EdgeScale:
    edges: int
    edge_servers: int
    hub_mb_connected: float
    hub_cpu_pct_idle: float
    catch_up_s: float
    hub_mb_after_catch_up: float
    edge_server_mb: float


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_percent(pid: int, seconds: float) -> float:
    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    before = ticks()
    time.sleep(seconds)
    return 100.0 * (ticks() - before) / TICKS / seconds


def proxy_source(server: int, index: int, unit_code: str) -> dict[str, Any]:
    """A commune's source as `baocao.edge_hub.edge_source` writes it, on a shared proxy edge."""
    return {
        "name": f"OUTBOX_{index}",
        "consumer": {"name": subjects.EDGE_CONSUMER, "deliver_subject": f"edge.proxy.{index}"},
        "external": {"api": f"$JS.p{server}.API", "deliver": ""},
        "subject_transforms": [{"src": ">", "dest": subjects.landed(unit_code)}],
    }


async def measure(
    communes: list[Unit], servers: int, work_dir: Path, say: Callable[[str], None]
) -> EdgeScale:
    authority = NatsAuthority(work_dir / "auth")
    ops_creds = write_creds(work_dir / "ops.creds", authority.user_creds("ops", _ops))
    hub = EmbeddedNats(
        work_dir / "hub", port=free_port(), authority=authority, leafnode_port=free_port()
    )
    hub.start()
    edges = [_ProxyEdge(k, authority, hub, work_dir) for k in range(servers)]
    try:
        for edge in edges:
            edge.start()
        placed = [(k % servers, k, unit) for k, unit in enumerate(communes)]
        say(f"edges: {len(communes):,} outboxes on {servers} proxy edge servers ...")
        for edge in edges:
            await edge.outboxes([(i, u) for s, i, u in placed if s == edge.number])
        ops = await nats.connect(hub.url, **connect_options(ops_creds))
        await provision(ops.jetstream())
        await _landing_streams(ops, placed)
        await _until_attached(ops, placed, say)
        await asyncio.sleep(5)
        assert hub.process is not None
        connected = rss_mb(hub.process.pid)
        idle = cpu_percent(hub.process.pid, 10)
        await ops.close()
        hub.stop()
        for edge in edges:
            await edge.one_report_each([(i, u) for s, i, u in placed if s == edge.number])
        say("edges: the hub restarted with a report waiting at every edge ...")
        started = time.monotonic()
        hub.start()
        ops = await nats.connect(hub.url, **connect_options(ops_creds))
        await _until_stored(ops, len(communes))
        catch_up = time.monotonic() - started
        after = rss_mb(hub.process.pid)
        await ops.close()
        return EdgeScale(
            edges=len(communes),
            edge_servers=servers,
            hub_mb_connected=connected,
            hub_cpu_pct_idle=idle,
            catch_up_s=catch_up,
            hub_mb_after_catch_up=after,
            edge_server_mb=sum(e.rss_mb() for e in edges) / servers,
        )
    finally:
        for edge in edges:
            edge.stop()
        hub.stop()


class _ProxyEdge:
    """One edge server standing for many communes: its own domain, a leaf to the hub."""

    def __init__(
        self, number: int, authority: NatsAuthority, hub: EmbeddedNats, work_dir: Path
    ) -> None:
        self.number = number
        self.directory = work_dir / f"edge-{number}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.authority = authority
        assert hub.leafnode_url is not None
        self.hub_leaf_url = hub.leafnode_url
        self.process: subprocess.Popen[bytes] | None = None
        self.admin = write_creds(self.directory / "admin.creds", authority.user_creds("a", _ops))

    def start(self) -> None:
        domain = f"p{self.number}"

        def grant(inbox: str) -> Permissions:
            del inbox
            return Permissions(
                publish=Rules(allow=("edge.proxy.*", "$JSC.R.>")),
                subscribe=Rules(allow=(f"$JS.{domain}.API.CONSUMER.RESET.>", "$JS.FC.>")),
            )

        leaf = write_creds(self.directory / "leaf.creds", self.authority.user_creds("l", grant))
        config = self.directory / "server.conf"
        config.write_text(
            leaf_node_config(
                trust_of(self.authority),
                server_name=f"edge-proxy-{self.number}",
                domain=domain,
                store_dir=self.directory / "js",
                host="127.0.0.1",
                port=self.port,
                hub_leaf_url=self.hub_leaf_url,
                leaf_creds=leaf,
            )
        )
        self.process = start_nats_server(
            config, self.directory / "server.log", "127.0.0.1", self.port
        )

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid) if self.process is not None else 0.0

    async def outboxes(self, placed: list[tuple[int, Unit]]) -> None:
        connection = await self._connect()
        try:
            for index, unit in placed:
                name = f"OUTBOX_{index}"
                await _checked(
                    connection,
                    f"$JS.API.STREAM.CREATE.{name}",
                    {
                        "name": name,
                        "subjects": [subjects.submitted(unit.province or "_", unit.code)],
                        "retention": "limits",
                        "storage": "file",
                        "num_replicas": 1,
                    },
                )
                await _checked(
                    connection,
                    f"$JS.API.CONSUMER.CREATE.{name}.{subjects.EDGE_CONSUMER}",
                    {
                        "stream_name": name,
                        "config": {
                            "durable_name": subjects.EDGE_CONSUMER,
                            "deliver_subject": f"edge.proxy.{index}",
                            "deliver_policy": "all",
                            "ack_policy": "flow_control",
                            "flow_control": True,
                            "idle_heartbeat": 5_000_000_000,
                            "max_deliver": -1,
                        },
                    },
                )
        finally:
            await connection.close()

    async def one_report_each(self, placed: list[tuple[int, Unit]]) -> None:
        connection = await self._connect()
        try:
            js = connection.jetstream()
            for index, unit in placed:
                await js.publish(
                    subjects.submitted(unit.province or "_", unit.code),
                    b'{"pad": "' + b"x" * 900 + b'"}',
                    headers={"Nats-Msg-Id": f"bench-edge-{index}"},
                )
        finally:
            await connection.close()

    async def _connect(self) -> Client:
        return await nats.connect(f"nats://127.0.0.1:{self.port}", **connect_options(self.admin))


def _ops(inbox: str) -> Permissions:
    del inbox
    return Permissions(publish=Rules(allow=(">",)), subscribe=Rules(allow=(">",)))


async def _landing_streams(ops: Client, placed: list[tuple[int, int, Unit]]) -> None:
    by_province: dict[str, list[dict[str, Any]]] = {}
    for server, index, unit in placed:
        by_province.setdefault(unit.province or "_", []).append(
            proxy_source(server, index, unit.code)
        )
    for province, sources in sorted(by_province.items()):
        name = subjects.landing_stream(province)
        await _checked(
            ops,
            f"$JS.API.STREAM.CREATE.{name}",
            {"name": name, "storage": "file", "retention": "limits", "sources": sources},
        )
    info = await _checked(ops, f"$JS.API.STREAM.INFO.{subjects.REPORTS_STREAM}")
    config = {**info["config"], "sources": [landing_source(p) for p in sorted(by_province)]}
    await _checked(ops, f"$JS.API.STREAM.UPDATE.{subjects.REPORTS_STREAM}", config)


async def _until_attached(
    ops: Client, placed: list[tuple[int, int, Unit]], say: Callable[[str], None]
) -> None:
    provinces = sorted({u.province or "_" for _, _, u in placed})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        attached = 0
        for province in provinces:
            info = await _checked(ops, f"$JS.API.STREAM.INFO.{subjects.landing_stream(province)}")
            attached += sum(
                1 for s in info.get("sources") or [] if 0 <= s.get("active", -1) < 3_000_000_000
            )
        if attached >= len(placed):
            say(f"edges: all {attached:,} sources attached")
            return
        await asyncio.sleep(1)
    raise TimeoutError(f"only {attached} of {len(placed)} sources attached")


async def _until_stored(ops: Client, count: int) -> None:
    deadline = time.monotonic() + CATCH_UP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        info = await _checked(ops, f"$JS.API.STREAM.INFO.{subjects.REPORTS_STREAM}")
        if info["state"]["messages"] >= count:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError("the hub did not catch up")


async def _checked(connection: Client, subject: str, body: Any = None) -> dict[str, Any]:
    # A landing stream or REPORTS with thousands of sources takes seconds to create.
    return await checked(connection, subject, body, timeout=API_TIMEOUT_SECONDS)
