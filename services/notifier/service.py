"""The notifier's use case: find who is due a notice, claim it, send it once."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta

from services.notifier import metrics
from services.notifier.adapters.notice_publisher import NoticePublisher
from services.notifier.adapters.outbox import Outbox
from services.notifier.domain.messages import render, render_rejection
from services.notifier.domain.schedule import Due, candidate_periods, due_notices
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Notice, Verdict

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
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        if added:
            log.info("notices scheduled", count=added.total())
        sent = await self.relay()
        metrics.unsent.set(await self.outbox.unsent_count())
        return sent

    async def on_accepted(self, reported: Collection[tuple[str, str, str]]) -> int:
        """Reports arrived, as (unit, report type, period): their units' unsent reminders and
        escalations are cancelled."""
        cancelled = await self.outbox.cancel(reported, self.clock.now())
        if cancelled:
            metrics.cancelled.inc(cancelled)
            log.info("notices cancelled; the reports arrived", count=cancelled)
        return cancelled

    async def on_rejected(
        self, verdicts: Sequence[Verdict], carriers: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Tell each submitter why their report was rejected, on ``notify.<unit>``.

        The notice goes into the outbox under ``rejection:<submission_id>``, so a verdict
        redelivered or republished at any later time finds it there and sends nothing twice;
        then the outbox is relayed at once rather than at the next round. ``carriers`` (by
        submission id) let each notice continue its report's trace."""
        notices: list[Notice] = []
        notice_carriers: dict[str, Mapping[str, str]] = {}
        for verdict in verdicts:
            notice = self.rejection_notice(verdict)
            if notice is None:
                metrics.skipped.labels("unknown_recipient").inc()
                log.warning(
                    "rejection not notified: no such unit",
                    submission_id=verdict.submission_id,
                    unit=verdict.sender or verdict.unit,
                )
                continue
            notices.append(notice)
            notice_carriers[notice.notice_id] = carriers.get(verdict.submission_id, {})
        added = await self.outbox.add(notices, self.clock.now(), notice_carriers)
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        await self.relay()

    def rejection_notice(self, verdict: Verdict) -> Notice | None:
        """The notice for the unit that sent ``verdict``'s submission (which may differ from the
        unit its body names); None if that unit is not in the registry."""
        recipient = self.registry.get(verdict.sender or verdict.unit)
        if recipient is None:
            return None
        report_type = self.catalog.get(verdict.report_type)
        unit = self.registry.get(verdict.unit)
        deadline = None
        if report_type is not None and unit is not None:
            try:
                deadline = report_type.deadline_for(
                    unit.level, report_type.period_of(verdict.period)
                )
            except ValueError:  # a period the report type does not have
                deadline = None
        title = (
            (report_type.title.vi, report_type.title.en)
            if report_type is not None
            else (verdict.report_type, verdict.report_type)
        )
        message_vi, message_en = render_rejection(
            verdict.submission_id, title, verdict.period, verdict.reasons
        )
        return Notice(
            notice_id=f"rejection:{verdict.submission_id}",
            stage="rejection",
            recipient=recipient.code,
            unit=verdict.unit,
            unit_name=unit.name if unit is not None else verdict.unit,
            report_type=verdict.report_type,
            period=verdict.period,
            deadline=deadline,
            message_vi=message_vi,
            message_en=message_en,
            submission_id=verdict.submission_id,
            reasons=verdict.reasons,
        )

    async def relay(self) -> int:
        """Send unsent notices. A claim is held while sending, so replicas never send the same
        notice at once; a crash after publishing resends it under the same Nats-Msg-Id, which
        the stream drops as a duplicate."""
        cancelled = await self.outbox.cancel_answered(self.clock.now())
        if cancelled:
            metrics.cancelled.inc(cancelled)
        sent = 0
        while True:
            async with self.outbox.acquire() as connection, connection.transaction():
                claimed = await self.outbox.claim_unsent(connection, RELAY_BATCH)
                if not claimed:
                    return sent
                notices = [notice for notice, _ in claimed]
                refused = await self.publisher.publish(
                    notices, self.clock.now(), {n.notice_id: c for n, c in claimed}
                )
                delivered = [n for n in notices if n.notice_id not in refused]
                await self.outbox.mark_sent(connection, delivered, self.clock.now())
                # A notice NATS refuses for what it is would fail every relay and hold back
                # every notice after it: it is set aside, loudly, instead.
                await self.outbox.set_aside(connection, list(refused), self.clock.now())
            for notice_id, error in refused.items():
                metrics.skipped.labels("undeliverable").inc()
                log.error("notice undeliverable; set aside", notice_id=notice_id, error=repr(error))
            notices = delivered
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
