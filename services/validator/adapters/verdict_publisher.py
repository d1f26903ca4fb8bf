"""Publishing verdicts to JetStream, each acknowledged before the input is."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import PubAck

from shared import cloudevents, metrics, subjects, telemetry
from shared.schemas import Verdict

PUBACK_TIMEOUT_SECONDS = 10.0


class VerdictPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        carriers: Mapping[str, Mapping[str, str]],
        validated_at: datetime,
    ) -> None:
        """Publish all, then wait for every PubAck: one round trip for the batch, not one each.

        nats-py never fails the future of a PubAck that was lost (say, the server restarted
        between storing and replying), so the wait is bounded; whatever is still pending is
        cancelled, which also frees its slot among the client's pending publishes. The batch
        then fails as an outage and is redelivered; the stream drops verdicts it already has.
        """
        pending: list[asyncio.Future[PubAck]] = []
        try:
            for verdict in verdicts:
                pending.append(
                    await self._publish_one(
                        verdict,
                        documents[verdict.submission_id],
                        carriers.get(verdict.submission_id, {}),
                        validated_at,
                    )
                )
            await asyncio.wait_for(asyncio.gather(*pending), timeout=PUBACK_TIMEOUT_SECONDS)
        finally:
            for future in pending:
                if not future.done():
                    future.cancel()
        for verdict in verdicts:
            metrics.events_published.labels(_root(verdict)).inc()

    async def _publish_one(
        self, verdict: Verdict, document: str, carrier: Mapping[str, str], validated_at: datetime
    ) -> asyncio.Future[PubAck]:
        root = _root(verdict)
        address = subjects.accepted if verdict.status == "accepted" else subjects.rejected
        subject = address(verdict.province or "_", verdict.unit)
        # The same verdict republished after a crash is dropped by the stream's dedup window.
        headers = cloudevents.headers(
            event_id=f"{verdict.submission_id}:verdict",
            event_type=cloudevents.ACCEPTED
            if verdict.status == "accepted"
            else cloudevents.REJECTED,
            service="validator",
            subject=verdict.submission_id,
            time=validated_at,
        )
        span = telemetry.send_span(
            root,
            subject,
            parent=carrier,
            attributes={
                telemetry.SUBMISSION_ID: verdict.submission_id,
                telemetry.UNIT: verdict.unit,
                telemetry.REPORT_TYPE: verdict.report_type,
                telemetry.PERIOD: verdict.period,
                "messaging.message.id": headers["ce-id"],
            },
        )
        try:
            telemetry.inject(headers, span)
            return await self._js.publish_async(
                subject, document.encode(), stream=subjects.REPORTS_STREAM, headers=headers
            )
        finally:
            # The span covers handing the event to the client; the batch waits for PubAcks.
            span.end()


def _root(verdict: Verdict) -> str:
    return subjects.ACCEPTED if verdict.status == "accepted" else subjects.REJECTED
