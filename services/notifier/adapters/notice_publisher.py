"""Publishing notices on notify.<unit>, deduplicated by their id."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from nats.js import JetStreamContext

from services.notifier import metrics
from shared import cloudevents, subjects, telemetry
from shared import metrics as transport
from shared.consuming import is_transient
from shared.schemas import Notice

CHANNEL = "nats"


class NoticePublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(
        self,
        notices: Sequence[Notice],
        now: datetime,
        carriers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> dict[str, BaseException]:
        """Publish every notice and wait for every PubAck.

        Raises if NATS failed (an outage: the caller keeps them all unsent, and a resend is
        dropped by the stream as a duplicate). Returns the notices NATS refused for what they
        are (too large, say), by notice id: sending them again can never succeed.

        ``carriers`` continue a report's trace (a rejection notice's, keyed by notice id)."""
        results = await asyncio.gather(
            *(self._publish_one(n, now, (carriers or {}).get(n.notice_id)) for n in notices),
            return_exceptions=True,
        )
        outage: BaseException | None = None
        refused: dict[str, BaseException] = {}
        for notice, result in zip(notices, results, strict=True):
            if isinstance(result, BaseException):
                metrics.failed.labels(notice.stage, CHANNEL).inc()
                if is_transient(result):
                    outage = outage or result
                else:
                    refused[notice.notice_id] = result
            else:
                metrics.sent.labels(notice.stage, CHANNEL).inc()
                transport.events_published.labels(subjects.NOTIFY).inc()
        if outage is not None:
            raise outage
        return refused

    async def _publish_one(
        self, notice: Notice, now: datetime, carrier: Mapping[str, str] | None
    ) -> None:
        subject = subjects.notify(notice.recipient)
        headers = cloudevents.headers(
            event_id=notice.notice_id,
            event_type=cloudevents.notice_type(notice.stage),
            service="notifier",
            subject=notice.submission_id or notice.notice_id,
            time=now,
        )
        span = telemetry.send_span(
            subjects.NOTIFY,
            subject,
            parent=carrier,
            attributes={
                telemetry.UNIT: notice.unit,
                telemetry.REPORT_TYPE: notice.report_type,
                telemetry.PERIOD: notice.period,
                "messaging.message.id": notice.notice_id,
                "baocao.notice.stage": notice.stage,
            },
        )
        try:
            telemetry.inject(headers, span)
            await self._js.publish(
                subject,
                notice.model_dump_json().encode(),
                stream=subjects.NOTIFY_STREAM,
                headers=headers,
            )
        finally:
            span.end()
