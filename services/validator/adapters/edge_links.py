"""The hub's landing streams, read for how long ago each edge was last heard from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nats.aio.client import Client

from services.validator.domain.link_silence import EdgeReading
from shared import subjects
from shared.landing_sources import sourced_edges

ANSWER_SECONDS = 5.0


class LandingStreams:
    """``$JS.API.STREAM.INFO`` of each province's landing stream (the validator's grant names
    each one, read-only). A province without edges has no landing stream: it reads as none."""

    def __init__(self, connection: Client, provinces: Sequence[str]) -> None:
        self._connection = connection
        self._provinces = list(provinces)

    async def read(self) -> list[EdgeReading]:
        readings: list[EdgeReading] = []
        for province in self._provinces:
            reply = await self._connection.request(
                f"$JS.API.STREAM.INFO.{subjects.landing_stream(province)}",
                b"",
                timeout=ANSWER_SECONDS,
            )
            info: dict[str, Any] = json.loads(reply.data)
            readings += [EdgeReading(e.unit, e.last_heard) for e in sourced_edges(info)]
        return readings
