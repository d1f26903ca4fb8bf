"""Sending planned reports the way a careful local system does: until it holds a receipt.

Over NATS a receipt is the JetStream PubAck; over HTTP it is intake's 202. Anything else (a
timeout, a connection refused while a service restarts, a 5xx) is retried with the same
submission id, which the system deduplicates. A 4xx is an answer, not a failure, and is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import nats

from baocao.load import Planned
from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
from baocao.unit_keys import UnitKeys
from shared import subjects
from shared.identity.issuer import LocalIssuer

RETRY_PAUSE = 0.5


@dataclass
class Outcome:
    receipts: dict[str, float] = field(default_factory=dict)  # submission id -> monotonic time
    refused: dict[str, int] = field(default_factory=dict)  # submission id -> HTTP status
    retries: int = 0


def _progress_every(total: int) -> int:
    return max(total // 10, 1)


class Sender:
    def __init__(
        self,
        *,
        nats_url: str,
        intake_url: str,
        issuer: LocalIssuer,
        identities: NatsIdentities,
        concurrency: int = 64,
        progress: Callable[[str], None] | None = None,
        keys: UnitKeys | None = None,
    ) -> None:
        self.nats_url = nats_url
        self.intake_url = intake_url
        self.issuer = issuer
        self.identities = identities
        # Each unit signs with its key beside the issuer's (registered by the stack); a
        # submission is signed once, so a retry or an exact re-send is the same bytes.
        self.keys = keys if keys is not None else UnitKeys.beside(issuer)
        self._bodies: dict[str, bytes] = {}
        self.concurrency = concurrency
        self.progress = progress
        self.outcome = Outcome()
        self._systems: LocalSystems | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        self._systems = LocalSystems(self.nats_url, self.identities)
        # aiohttp rather than httpx here: at 64 concurrent requests httpx spent 4-12 ms of CPU
        # per request, more than intake itself, and the load generator became the bottleneck.
        self._http = aiohttp.ClientSession(
            base_url=self.intake_url,
            timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=self.concurrency),
        )
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self._http is not None:
            await self._http.close()
        if self._systems is not None:
            await self._systems.close()

    async def send(self, items: Sequence[Planned], label: str = "sent") -> None:
        """Send ``items`` concurrently; return once every one holds a receipt or a refusal."""
        total, done = len(items), 0
        step = _progress_every(total)
        queue: asyncio.Queue[Planned] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)

        async def worker() -> None:
            nonlocal done
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self.send_one(item)
                done += 1
                if self.progress is not None and done % step == 0:
                    self.progress(f"{label} {done:,}/{total:,}")

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def blast(self, items: Sequence[Planned], window: int = 1000) -> None:
        """NATS only, as fast as the client goes: async publishes, a window of PubAcks at a time.
        Anything not acknowledged is sent again the careful way."""
        assert self._systems is not None
        for first in range(0, len(items), window):
            chunk = items[first : first + window]
            futures = []
            for item in chunk:
                js = await self._systems.jetstream(item.province, item.unit.code)
                futures.append(
                    await js.publish_async(
                        subjects.submitted(item.province, item.unit.code),
                        self.body(item),
                        stream=subjects.REPORTS_STREAM,
                        headers={"Nats-Msg-Id": item.submission_id},
                    )
                )
            results = await asyncio.gather(*futures, return_exceptions=True)
            now = time.monotonic()
            for item, result in zip(chunk, results, strict=True):
                if isinstance(result, BaseException):
                    await self.send_one(item)
                else:
                    self.outcome.receipts[item.submission_id] = now

    def body(self, item: Planned) -> bytes:
        body = self._bodies.get(item.submission_id)
        if body is None:
            body = self._bodies[item.submission_id] = item.body(self.keys)
        return body

    async def send_one(self, item: Planned) -> None:
        while True:
            try:
                if item.channel == "http":
                    status = await self._post(item)
                    if status == 202:
                        self.outcome.receipts[item.submission_id] = time.monotonic()
                        return
                    if 400 <= status < 500:
                        self.outcome.refused[item.submission_id] = status
                        return
                else:
                    await self._publish(item)
                    self.outcome.receipts[item.submission_id] = time.monotonic()
                    return
            except (aiohttp.ClientError, nats.errors.Error, OSError, TimeoutError):
                pass
            self.outcome.retries += 1
            await asyncio.sleep(RETRY_PAUSE)

    async def _publish(self, item: Planned) -> None:
        assert self._systems is not None
        js = await self._systems.jetstream(item.province, item.unit.code)
        await js.publish(
            subjects.submitted(item.province, item.unit.code),
            self.body(item),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": item.submission_id},
        )

    async def _post(self, item: Planned) -> int:
        assert self._http is not None
        async with self._http.post(
            "/v1/submissions",
            data=self.body(item),
            headers={**self.issuer.headers(item.unit.code), "Content-Type": "application/json"},
        ) as response:
            await response.read()
            return response.status
