"""The notifier's use case: find who is due a notice, claim it, send it once."""

from __future__ import annotations

from datetime import timedelta

from services.notifier.adapters.notice_publisher import NoticePublisher
from services.notifier.adapters.outbox import Outbox
from services.notifier.domain.messages import render
from services.notifier.domain.schedule import Due, candidate_periods, due_notices
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Notice

log = get_logger(__name__)
RELAY_BATCH = 500


def notice_for(due: Due) -> Notice:
    message_vi, message_en = render(due)
    return Notice(
        notice_id=f"{due.stage}:{due.report_type.code}:{due.period.label}:{due.unit.code}",
        stage=due.stage,
        recipient=due.recipient,
        unit=due.unit.code,
        unit_name=due.unit.name,
        report_type=due.report_type.code,
        period=due.period.label,
        deadline=due.deadline,
        message_vi=message_vi,
        message_en=message_en,
    )


class NotificationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        outbox: Outbox,
        publisher: NoticePublisher,
        lead: timedelta,
        window: timedelta,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.outbox = outbox
        self.publisher = publisher
        self.lead = lead
        self.window = window

    async def tick(self) -> int:
        """One round: schedule what is due, then send what is unsent. Returns notices sent."""
        now = self.clock.now()
        periods = {(rt.code, p.label) for rt in self.catalog for p in candidate_periods(rt, now)}
        submitted = await self.outbox.submitted(periods)
        scheduled = await self.outbox.scheduled(periods)
        due = [
            d
            for d in due_notices(
                self.catalog, self.registry, submitted, now, lead=self.lead, window=self.window
            )
            # Rendering and inserting a notice already in the outbox is wasted work that grows
            # with the number of units: at 33,000 communes it took seconds of every tick.
            if (d.unit.code, d.report_type.code, d.period.label, d.stage) not in scheduled
        ]
        added = await self.outbox.add([notice_for(d) for d in due], now)
        if added:
            log.info("notices scheduled", count=added)
        return await self.relay()

    async def relay(self) -> int:
        """Send unsent notices. A claim is held while sending, so replicas never send the same
        notice at once; a crash after publishing resends it under the same Nats-Msg-Id, which
        the stream drops as a duplicate."""
        sent = 0
        while True:
            async with self.outbox.acquire() as connection, connection.transaction():
                notices = await self.outbox.claim_unsent(connection, RELAY_BATCH)
                if not notices:
                    return sent
                await self.publisher.publish(notices)
                await self.outbox.mark_sent(connection, notices, self.clock.now())
            sent += len(notices)
            for notice in notices:
                log.info(
                    "notice sent",
                    notice_id=notice.notice_id,
                    recipient=notice.recipient,
                    unit=notice.unit,
                    stage=notice.stage,
                    report_type=notice.report_type,
                    period=notice.period,
                )
