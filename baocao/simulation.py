"""A simulated national reporting round, driven through the running system like real communes.

The round is planned up front (:mod:`baocao.round_plan`: every commune and province, in waves
around the deadlines, with invalid reports, corrections, duplicates and some straight onto
NATS); :class:`RoundDriver` sends it, moving the shared clock from wave to wave; then the
result is checked against the independent oracle and summed up (:mod:`baocao.round_summary`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import nats

from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
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
from baocao.watching import backlog
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
    ) -> None:
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
                for wave in plan.waves:
                    # A simulated minute per real second: receipts within a wave keep their order.
                    ticks = await self._notifier_ticks()
                    await append_segment(js, ClockSegment(datetime.now(VIETNAM), wave.at, 60.0))
                    await asyncio.sleep(1.5)  # services pick up the new time
                    await self._notifier_ticked_since(ticks)
                    self.progress(
                        f"{wave.at.astimezone(VIETNAM):%d/%m %H:%M} {wave.name}: "
                        f"{len(wave.submissions)} submissions"
                    )
                    receipts += await self._send(wave, client)
                    await self._drain(js)
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
        )

    async def _notifier_ticks(self) -> int:
        if self.notifier_url is None:
            return 0
        async with httpx.AsyncClient(
            base_url=self.notifier_url, timeout=10, headers=self._central
        ) as client:
            completed: int = (await client.get("/v1/ticks")).json()["completed"]
            return completed

    async def _notifier_ticked_since(self, before: int, timeout: float = 60) -> None:
        """Wait for a scheduling round that began after the clock moved: the one running at the
        jump may have read the old time, and a step's day would be skipped."""
        if self.notifier_url is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self._notifier_ticks() < before + 2:
            if loop.time() > deadline:
                raise TimeoutError("the notifier did not complete a round at the new time")
            await asyncio.sleep(0.1)

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
        that keyed it (docs/keyed-on-behalf.md)."""
        submission_id = planned.body["submission_id"]
        if submission_id not in self._bodies:
            document, signer = planned.body, planned.unit.code
            if planned.channel == "paper":
                document = {**document, "keyed_by": keyed_by_province(planned.unit)}
                signer = planned.unit.province or signer
            body = dict(self.keys.signed(signer, document))
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
        if planned.channel == "nats":
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
