"""Publishing verdicts to JetStream, each acknowledged before the input is."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from nats.js import JetStreamContext
from nats.js.api import PubAck

from shared import subjects
from shared.schemas import Verdict

PUBACK_TIMEOUT_SECONDS = 10.0


class VerdictPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, verdicts: Sequence[Verdict], documents: Mapping[str, str]) -> None:
        """Publish all, then wait for every PubAck: one round trip for the batch, not one each.

        nats-py never fails the future of a PubAck that was lost (say, the server restarted
        between storing and replying), so the wait is bounded; whatever is still pending is
        cancelled, which also frees its slot among the client's pending publishes. The batch
        then fails as an outage and is redelivered; the stream drops verdicts it already has.
        """
        pending: list[asyncio.Future[PubAck]] = []
        try:
            for verdict in verdicts:
                pending.append(await self._publish_one(verdict, documents[verdict.submission_id]))
            await asyncio.wait_for(asyncio.gather(*pending), timeout=PUBACK_TIMEOUT_SECONDS)
        finally:
            for future in pending:
                if not future.done():
                    future.cancel()

    async def _publish_one(self, verdict: Verdict, document: str) -> asyncio.Future[PubAck]:
        province = verdict.province or "_"
        subject = (subjects.accepted if verdict.status == "accepted" else subjects.rejected)(
            province, verdict.unit
        )
        return await self._js.publish_async(
            subject,
            document.encode(),
            stream=subjects.REPORTS_STREAM,
            # The same verdict republished after a crash is dropped by the stream's dedup window.
            headers={
                "Nats-Msg-Id": f"{verdict.submission_id}:verdict",
                "content-type": "application/json",
            },
        )
