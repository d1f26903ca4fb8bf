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
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from baocao.load import Planned
from shared import subjects, tokens

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
        token_secret: str,
        concurrency: int = 64,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.nats_url = nats_url
        self.intake_url = intake_url
        self.secret = token_secret
        self.concurrency = concurrency
        self.progress = progress
        self.outcome = Outcome()
        self._connection: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        self._connection = await nats.connect(
            self.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.25
        )
        self._js = self._connection.jetstream(timeout=10)
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
        if self._connection is not None:
            await self._connection.close()

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
        assert self._js is not None
        for first in range(0, len(items), window):
            chunk = items[first : first + window]
            futures = []
            for item in chunk:
                futures.append(
                    await self._js.publish_async(
                        subjects.submitted(item.province, item.unit.code),
                        item.body(),
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
        assert self._js is not None
        await self._js.publish(
            subjects.submitted(item.province, item.unit.code),
            item.body(),
            stream=subjects.REPORTS_STREAM,
            headers={"Nats-Msg-Id": item.submission_id},
        )

    async def _post(self, item: Planned) -> int:
        assert self._http is not None
        async with self._http.post(
            "/v1/submissions",
            data=item.body(),
            headers={
                "Authorization": f"Bearer {tokens.issue(item.unit.code, self.secret)}",
                "Content-Type": "application/json",
            },
        ) as response:
            await response.read()
            return response.status
