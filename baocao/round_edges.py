"""The simulated round's communes behind edges (issue 17, docs/weak-networks.md).

A few communes run an edge: a local nats-server whose outbox the hub sources. All their links
pass through one loopback proxy, cut when the reminders go out, the day before the deadline,
and restored with the late wave, days later. Half of them sign and publish their report on the
last day, into an edge that cannot reach the hub; the other half after the deadline. When the
link is back, the hub gets both; the first half must be judged on time by their signed time,
the second late, as the oracle expects.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from nats.aio.client import Client

from baocao.edge_hub import edge_links, register_edge
from baocao.edge_node import EdgeServer, make_bundle, provision_outbox
from baocao.link_proxy import LinkProxy
from baocao.nats_identities import NatsIdentities
from baocao.processes import free_port
from shared import subjects
from shared.identity.issuer import LocalIssuer
from shared.nats_permissions import Unit as NatsUnit
from shared.registry import Unit

# The watch must have seen the link silent at the late wave's time before it comes back.
RECORDED_TIMEOUT = 90.0
ARRIVAL_TIMEOUT = 120.0


class RoundEdges:
    """The edges of ``units``, started before the round and stopped after it."""

    def __init__(
        self,
        units: list[Unit],
        identities: NatsIdentities,
        hub_leaf: tuple[str, int],
        database_url: str,
    ) -> None:
        self.units = units
        self.identities = identities
        self.database_url = database_url
        self.link = LinkProxy(hub_leaf, seed=17)
        self.servers: dict[str, EdgeServer] = {}
        self.sent: dict[str, str] = {}  # submission id: unit
        self._directory = Path(tempfile.mkdtemp(prefix="baocao-round-edges-"))

    async def start(self, ops: Client) -> None:
        """Register and start every edge, and wait until the hub hears from each."""
        await self.link.start()
        for unit in self.units:
            province = unit.province or ""
            where = self._directory / unit.code
            bundle = make_bundle(
                self.identities.authority,
                NatsUnit(province, unit.code),
                self.link.url("nats-leaf"),
                where / "bundle",
            )
            await register_edge(ops, province, unit.code)
            server = EdgeServer(bundle, where / "data", port=free_port())
            server.start()
            self.servers[unit.code] = server
            admin = await server.connect("admin")
            try:
                await provision_outbox(admin, province, unit.code)
            finally:
                await admin.close()
        await self._until_heard(ops)

    async def _until_heard(self, ops: Client, timeout: float = 60.0) -> None:
        provinces = sorted({u.province or "" for u in self.units})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        wanted = {u.code for u in self.units}
        while True:
            links = await edge_links(ops, provinces)
            heard = {e.unit for e in links if e.last_heard is not None}
            if wanted <= heard:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the hub never heard from edges {sorted(wanted - heard)}")
            await asyncio.sleep(0.5)

    def cut(self) -> None:
        self.link.cut("refuse")

    async def publish(self, unit: Unit, data: bytes, submission_id: str) -> None:
        """What the commune's own system does: publish to its edge, whether the link is up."""
        system = await self.servers[unit.code].connect("unit")
        try:
            await system.jetstream().publish(
                subjects.submitted(unit.province or "_", unit.code),
                data,
                headers={"Nats-Msg-Id": submission_id},
            )
        finally:
            await system.close()
        self.sent[submission_id] = unit.code

    async def restore_when_recorded(self, at: datetime) -> None:
        """Restore the link once the hub has recorded every edge silent at ``at`` or later:
        a silence the hub did not see would not count (offline_time.py)."""
        wanted = {u.code for u in self.units}
        connection = await asyncpg.connect(self.database_url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECORDED_TIMEOUT
        try:
            while True:
                rows = await connection.fetch(
                    "SELECT unit FROM silent_edges WHERE silent_until >= $1", at
                )
                if wanted <= {r["unit"] for r in rows}:
                    break
                if loop.time() > deadline:
                    raise TimeoutError("the hub did not record the edges' silence")
                await asyncio.sleep(0.5)
        finally:
            await connection.close()
        self.link.restore()

    async def judged(
        self, intake: httpx.AsyncClient, issuer: LocalIssuer
    ) -> Counter[tuple[str, str]]:
        """Once every report sent to an edge has its verdict: how many were judged on time and
        late, by their signed time or their receipt."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ARRIVAL_TIMEOUT
        found: dict[str, Mapping[str, Any]] = {}
        while len(found) < len(self.sent):
            for submission_id, unit in self.sent.items():
                if submission_id in found:
                    continue
                response = await intake.get(
                    f"/v1/submissions/{submission_id}", headers=issuer.headers(unit)
                )
                status = response.json() if response.status_code == 200 else {}
                if status.get("status") in {"accepted", "rejected", "superseded"}:
                    found[submission_id] = status
            if len(found) < len(self.sent):
                if loop.time() > deadline:
                    raise TimeoutError("reports sent to edges did not reach the hub")
                await asyncio.sleep(0.5)
        return Counter(
            (
                str(s.get("timeliness") or s.get("status")),
                str((s.get("counted_from") or {}).get("basis", "received")),
            )
            for s in found.values()
        )

    async def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        await self.link.close()
        shutil.rmtree(self._directory, ignore_errors=True)
