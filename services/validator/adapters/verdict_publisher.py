"""Publishing verdicts to JetStream, each acknowledged before the input is."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nats.js import JetStreamContext

from shared import subjects
from shared.schemas import Verdict


class VerdictPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, verdicts: Sequence[Verdict]) -> None:
        await asyncio.gather(*(self._publish_one(v) for v in verdicts))

    async def _publish_one(self, verdict: Verdict) -> None:
        province = verdict.province or "_"
        subject = (subjects.accepted if verdict.status == "accepted" else subjects.rejected)(
            province, verdict.unit
        )
        await self._js.publish(
            subject,
            verdict.model_dump_json().encode(),
            stream=subjects.REPORTS_STREAM,
            # The same verdict republished after a crash is dropped by the stream's dedup window.
            headers={
                "Nats-Msg-Id": f"{verdict.submission_id}:verdict",
                "content-type": "application/json",
            },
        )
