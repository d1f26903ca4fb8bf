"""Publishing notices on notify.<unit>, deduplicated by their id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nats.js import JetStreamContext

from shared import subjects
from shared.schemas import Notice


class NoticePublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, notices: Sequence[Notice]) -> None:
        await asyncio.gather(
            *(
                self._js.publish(
                    subjects.notify(n.recipient),
                    n.model_dump_json().encode(),
                    stream=subjects.NOTIFY_STREAM,
                    headers={"Nats-Msg-Id": n.notice_id, "content-type": "application/json"},
                )
                for n in notices
            )
        )
