"""A simulated national reporting round, driven through the running system like real communes.

The round is planned up front (:mod:`baocao.round_plan`: every commune and province, in waves
around the deadlines, with invalid reports, corrections, duplicates and some straight onto
NATS); :class:`RoundDriver` sends it, moving the shared clock from wave to wave; then the
result is checked against the independent oracle and summed up (:mod:`baocao.round_summary`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import nats
from nats.aio.client import Client

from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
from baocao.round_edges import RoundEdges
from baocao.round_plan import (
    REPORT_TYPE,
    Plan,
    Planned,
    Wave,
    keyed_by_province,
    oracle_totals,
    paper_clerk,
    plan_round,
)
from baocao.round_summary import RoundResult, oracle_mismatches, summary, tallies
from baocao.unit_keys import UnitKeys
from baocao.watching import backlog, notifier_ticked_since, notifier_ticks
from shared import subjects
from shared.catalog import Catalog
from shared.clock import ClockSegment
from shared.clock_sync import append_segment
from shared.identity import CENTRAL, Role
from shared.identity.issuer import LocalIssuer
from shared.periods import VIETNAM, Period
from shared.registry import Registry

SEND_ATTEMPTS = 10


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(
        body, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)
    ).encode()


class Unavailable(Exception):
    """Intake answered 503: the same request is to be sent again shortly."""


class RoundDriver:
    """Sends a planned round wave by wave, moving the shared clock to each wave's time and
    waiting for the pipeline to drain, then reads back what Central and the streams show."""

    def __init__(
        self,
        *,
        registry: Registry,
        catalog: Catalog,
        nats_url: str,
        intake_url: str,
        central_url: str,
        issuer: LocalIssuer,
        identities: NatsIdentities,
        progress: Callable[[str], None],
        notifier_url: str | None = None,
        keys: UnitKeys | None = None,
        hub_leaf: tuple[str, int] | None = None,
        database_url: str | None = None,
    ) -> None:
        # Where edges reach the hub, and the database to see the hub's record of their
        # silences: without both, an edge's reports go straight onto NATS.
        self.hub_leaf = hub_leaf
        self.database_url = database_url
        self.edges: RoundEdges | None = None
        self._segment: ClockSegment | None = None
        self.notifier_url = notifier_url
        self.registry = registry
        self.catalog = catalog
        self.nats_url = nats_url
        self.intake_url = intake_url
        self.central_url = central_url
        self.issuer = issuer
        self._central = issuer.headers(CENTRAL, [Role.READER])
        self.identities = identities
        self.systems = LocalSystems(nats_url, identities)
        self.systems_seen = (0, 0)
        self.signed = 0  # submissions that went out signed (a unit without a key sends none)
        self.progress = progress
        self.retries = 0  # sends retried after a lost connection, a timeout or a 503
        # Each unit signs with its key beside the issuer's, once per submission: a retry or a
        # duplicate is the same bytes.
        self.keys = keys if keys is not None else UnitKeys.beside(issuer)
        self._bodies: dict[str, bytes] = {}
        self._clerks: dict[str, str] = {}  # province: its clerk's token, for paper reports

    async def run(self, period: Period, seed: int = 2026) -> RoundResult:
        report_type = self.catalog.report_types[REPORT_TYPE]
        plan = plan_round(self.registry, report_type, period, seed)
        # The round's own moves (the clock, waiting for the pipeline, the tallies) are an
        # operator's; the reports go through the local systems' own credentials.
        connection = await nats.connect(self.nats_url, **self.identities.options("ops"))
        js = connection.jetstream()
        receipts = 0
        try:
            async with httpx.AsyncClient(
                base_url=self.intake_url, timeout=30, limits=httpx.Limits(max_connections=32)
            ) as client:
                edges_judged = await self._round(plan, js, connection, client)
                receipts += self._receipts
                await asyncio.sleep(1.5)
            async with httpx.AsyncClient(
                base_url=self.central_url, timeout=30, headers=self._central
            ) as central:
                response = await central.get(f"/v1/rollups/{REPORT_TYPE}/{period.label}")
                national = response.json()
            rejected, notices = await tallies(js, period)
        finally:
            self.systems_seen = self.systems.opened
            await self.systems.close()
            if self.edges is not None:
                await self.edges.stop()
            await connection.close()
        return RoundResult(
            plan,
            national,
            rejected,
            notices,
            oracle_mismatches(plan, national),
            receipts,
            self.retries,
            self.systems_seen,
            self.signed,
            edges_judged,
        )

    async def _round(
        self, plan: Plan, js: Any, ops: Client, client: httpx.AsyncClient
    ) -> Counter[tuple[str, str]] | None:
        """Send every wave; with edges, cut their link when the reminders go out and restore it
        the morning after the deadline. Returns how the edges' reports were judged."""
        self._receipts = 0
        edge_units = plan.edge_units()
        if edge_units and self.hub_leaf is not None and self.database_url is not None:
            self.edges = RoundEdges(edge_units, self.identities, self.hub_leaf, self.database_url)
            self.progress(f"starting {len(edge_units)} communes' edges")
            await self.edges.start(ops)
        judged: Counter[tuple[str, str]] | None = None
        for wave in plan.waves:
            # A simulated minute per real second: receipts within a wave keep their order.
            ticks = await notifier_ticks(self.notifier_url, self._central)
            self._segment = ClockSegment(datetime.now(VIETNAM), wave.at, 60.0)
            await append_segment(js, self._segment)
            await asyncio.sleep(1.5)  # services pick up the new time
            await notifier_ticked_since(self.notifier_url, self._central, ticks)
            self.progress(
                f"{wave.at.astimezone(VIETNAM):%d/%m %H:%M} {wave.name}: "
                f"{len(wave.submissions)} submissions"
            )
            if self.edges is not None and wave.key == "reminded":
                self.edges.cut()
                self.progress("the edges' link to the hub is cut")
            self._receipts += await self._send(wave, client)
            if self.edges is not None and wave.key == "edges_back":
                # The hub must have seen the link silent after the last report was signed.
                await self.edges.restore_when_recorded(self._system_now())
                self.progress("the edges' link is back; their reports reach the hub")
                judged = await self.edges.judged(client, self.issuer)
            await self._drain(js)
        return judged

    def _system_now(self) -> datetime:
        """The shared clock's time now, as the services read it."""
        now = datetime.now(VIETNAM)
        return self._segment.map(now) if self._segment is not None else now

    async def _send(self, wave: Wave, client: httpx.AsyncClient) -> int:
        gate = asyncio.Semaphore(32)
        sent = 0

        async def one(planned: Planned) -> None:
            nonlocal sent
            async with gate:
                # Like a careful local system: a lost connection or a 503 is retried with the
                # same submission id, which intake and the stream treat as the same report.
                for attempt in range(SEND_ATTEMPTS):
                    try:
                        await self._send_one(planned, client)
                    except (httpx.TransportError, nats.errors.Error, TimeoutError, Unavailable):
                        if attempt == SEND_ATTEMPTS - 1:
                            raise
                        self.retries += 1
                        await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                        continue
                    sent += 1
                    return

        # Corrections and duplicates must arrive after what they follow: send them last.
        firsts = [p for p in wave.submissions if p.kind in {"report", "invalid"}]
        seconds = [p for p in wave.submissions if p.kind not in {"report", "invalid"}]
        for group in (firsts, seconds):
            await asyncio.gather(*(one(p) for p in group))
        return sent

    def _signed(self, planned: Planned) -> bytes:
        """The bytes sent, signed once: by the unit, or for a paper report by the province
        that keyed it (docs/keyed-on-behalf.md). A report to an edge is signed at the shared
        clock's time: its signed time is what it may be judged by."""
        submission_id = planned.body["submission_id"]
        if submission_id not in self._bodies:
            document, signer = planned.body, planned.unit.code
            if planned.channel == "paper":
                document = {**document, "keyed_by": keyed_by_province(planned.unit)}
                signer = planned.unit.province or signer
            at = self._system_now() if planned.channel == "edge" else None
            body = dict(self.keys.signed(signer, document, at))
            self.signed += "signature" in body
            self._bodies[submission_id] = _encode(body)
        return self._bodies[submission_id]

    def _headers(self, planned: Planned) -> dict[str, str]:
        """A unit's system token, or for a paper report the token of the province's clerk
        who keys it: the mark must name the token's own unit and subject."""
        if planned.channel != "paper":
            return self.issuer.headers(planned.unit.code)
        province = planned.unit.province or ""
        token = self._clerks.get(province)
        if token is None:
            token = self._clerks[province] = self.issuer.mint(
                province, [Role.SUBMITTER], person=True, subject=paper_clerk(province)
            )
        return {"Authorization": f"Bearer {token}"}

    async def _send_one(self, planned: Planned, client: httpx.AsyncClient) -> None:
        data = self._signed(planned)
        if planned.channel == "edge" and self.edges is not None:
            await self.edges.publish(planned.unit, data, planned.body["submission_id"])
            return
        if planned.channel in {"nats", "edge"}:
            province = planned.unit.province or "_"
            js = await self.systems.jetstream(province, planned.unit.code)
            await js.publish(
                subjects.submitted(province, planned.unit.code),
                data,
                stream=subjects.REPORTS_STREAM,
                headers={"Nats-Msg-Id": planned.body["submission_id"]},
            )
            return
        response = await client.post(
            "/v1/submissions",
            content=data,
            headers={**self._headers(planned), "Content-Type": "application/json"},
        )
        if response.status_code == 503:
            raise Unavailable(response.text)
        if response.status_code != 202:
            raise RuntimeError(f"intake refused {planned.body['submission_id']}: {response.text}")

    async def _drain(self, js: Any, timeout: float = 120) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await backlog(js):
            if loop.time() > deadline:
                raise TimeoutError("the pipeline did not drain")
            await asyncio.sleep(0.1)


# The plan and the summary stay importable from here.
__all__ = [
    "REPORT_TYPE",
    "SEND_ATTEMPTS",
    "Plan",
    "Planned",
    "RoundDriver",
    "RoundResult",
    "Unavailable",
    "Wave",
    "oracle_totals",
    "plan_round",
    "summary",
]
