"""The notifier's use case: plan what the reminder policy says is due, put it in the outbox,
and deliver each notice once on each of its recipient's channels."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.notifier import metrics
from services.notifier.adapters.channels import (
    DeliveryFailed,
    EmailChannel,
    NatsChannel,
    WebhookChannel,
)
from services.notifier.adapters.contacts import Contact, ContactStore
from services.notifier.adapters.outbox import Claimed, NewNotice, Outbox
from services.notifier.domain.delivery import EMAIL, NATS, WEBHOOK, QuietHours, backoff_seconds
from services.notifier.domain.messages import render_planned, render_rejection
from services.notifier.domain.schedule import Planned, candidate_periods, plan
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.periods import VIETNAM
from shared.registry import Registry
from shared.schemas import LateUnit, Notice, NoticeDeadLettered, Verdict

log = get_logger(__name__)
QUIET_HOURS = QuietHours.parse("21:00-07:00")


@dataclass(frozen=True)
class DeliveryPolicy:
    catch_up_days: int = 2
    quiet_hours: QuietHours = QUIET_HOURS
    lease_seconds: float = 30.0
    max_attempts: int = 6
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    concurrency: int = 8
    claim_batch: int = 256
    submit_url: str = "http://127.0.0.1:8080/v1/submissions"


def notice_of(planned: Planned, submit_url: str) -> Notice:
    text = render_planned(planned, submit_url)
    late = [LateUnit(unit=u.code, name=u.name, province=u.province) for u in planned.late]
    if planned.behind:
        late = [
            LateUnit(
                unit=p.province.code,
                name=p.province.name,
                province=p.province.code,
                expected=p.expected,
                submitted=p.submitted,
                rate_pct=p.rate_pct,
            )
            for p in planned.behind
        ]
    reminder = planned.kind == "reminder"
    return Notice(
        notice_id=planned.notice_id,
        kind="reminder" if reminder else "escalation",
        stage=planned.stage,
        level=planned.level.value,
        recipient=planned.recipient.code,
        unit=planned.recipient.code,
        unit_name=planned.recipient.name,
        report_type=planned.report_type.code,
        period=planned.period.label,
        deadline=planned.deadline,
        subject_vi=text.subject_vi,
        subject_en=text.subject_en,
        message_vi=text.body_vi,
        message_en=text.body_en,
        late=[] if reminder else late,
        submit_url=submit_url,
    )


class NotificationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        outbox: Outbox,
        contacts: ContactStore,
        nats: NatsChannel,
        email: EmailChannel | None,
        webhook: WebhookChannel,
        worker: str,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.outbox = outbox
        self.contacts = contacts
        self.nats = nats
        self.email = email
        self.webhook = webhook
        self.worker = worker
        self.policy = policy or DeliveryPolicy()
        self.claiming = True  # False while shutting down: finish what is claimed, claim no more

    # --- scheduling --------------------------------------------------------------------------
    async def tick(self) -> int:
        """One round: schedule what the policy says is due today, then deliver what is due.
        Returns deliveries made."""
        await self.schedule()
        sent = await self.relay()
        metrics.unsent.set(await self.outbox.unsent_count())
        return sent

    async def schedule(self) -> Counter[str]:
        now = self.clock.now()
        today = now.astimezone(VIETNAM).date()
        periods = {(rt.code, p.label) for rt in self.catalog for p in candidate_periods(rt, today)}
        submitted = await self.outbox.submitted(periods)
        scheduled = await self.outbox.scheduled(periods)
        planned = [
            p
            for p in plan(
                self.catalog,
                self.registry,
                submitted,
                today,
                catch_up_days=self.policy.catch_up_days,
            )
            # Rendering and inserting what is already in the outbox grows with the number of
            # units: at 33,000 communes it took seconds of every tick.
            if p.notice_id not in scheduled
        ]
        added = await self.outbox.add(
            [
                NewNotice(notice_of(p, self.policy.submit_url), [u.code for u in p.late])
                for p in planned
            ],
            now,
            email_from=self._email_from(),
        )
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        if added:
            log.info("notices scheduled", count=added.total(), stages=dict(added))
        return added

    def _email_from(self) -> datetime | None:
        return (
            None if self.email is None else self.policy.quiet_hours.next_allowed(self.clock.now())
        )

    # --- verdicts ----------------------------------------------------------------------------
    async def on_accepted(self, reported: Collection[tuple[str, str, str]]) -> int:
        """Reports arrived, as (unit, report type, period): notices about them that are not
        sent yet on some channel are cancelled there (a digest once all its units reported)."""
        periods = {(rt, period) for _, rt, period in reported}
        if not periods:
            return 0
        cancelled = await self.outbox.cancel_answered(self.clock.now(), periods)
        self._count_cancelled(len(cancelled))
        return len(cancelled)

    async def on_rejected(
        self, verdicts: Sequence[Verdict], carriers: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Tell each submitter why their report was rejected.

        The notice goes into the outbox under ``rejection:<submission_id>``, so a verdict
        redelivered or republished at any later time finds it there and sends nothing twice;
        its NATS delivery is made at once rather than at the next relay (e-mail and webhook
        follow with the relay loop). ``carriers`` (by submission id) continue each report's
        trace."""
        notices: list[NewNotice] = []
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
            notices.append(NewNotice(notice, [], carriers.get(verdict.submission_id)))
        added = await self.outbox.add(notices, self.clock.now(), email_from=self._email_from())
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        await self.relay(only=[n.notice.notice_id for n in notices], channels=[NATS])

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
        text = render_rejection(
            verdict.submission_id, title, verdict.period, verdict.reasons, self.policy.submit_url
        )
        return Notice(
            notice_id=f"rejection:{verdict.submission_id}",
            kind="rejection",
            stage="rejection",
            level=unit.level.value if unit is not None else None,
            recipient=recipient.code,
            unit=verdict.unit,
            unit_name=unit.name if unit is not None else verdict.unit,
            report_type=verdict.report_type,
            period=verdict.period,
            deadline=deadline,
            subject_vi=text.subject_vi,
            subject_en=text.subject_en,
            message_vi=text.body_vi,
            message_en=text.body_en,
            submit_url=self.policy.submit_url,
            submission_id=verdict.submission_id,
            reasons=verdict.reasons,
        )

    # --- delivery ----------------------------------------------------------------------------
    def channels_open(self) -> list[str]:
        """NATS and webhooks always; e-mail outside quiet hours."""
        channels = [NATS, WEBHOOK]
        if self.email is not None and not self.policy.quiet_hours.contains(self.clock.now()):
            channels.append(EMAIL)
        return channels

    async def relay(
        self, *, only: Collection[str] | None = None, channels: Collection[str] | None = None
    ) -> int:
        """Deliver what is due, batch after batch, until nothing is left that this worker can
        claim. Returns deliveries made."""
        if only is not None and not only:
            return 0
        self._count_cancelled(len(await self.outbox.cancel_answered(self.clock.now())))
        gate = asyncio.Semaphore(self.policy.concurrency)
        sent = 0
        while self.claiming:
            # Again for every batch: a long relay that began at 20:59 sends no e-mail at 21:00.
            open_now = [c for c in self.channels_open() if channels is None or c in channels]
            claimed = await self.outbox.claim(
                self.worker,
                self.policy.claim_batch,
                self.clock.now(),
                channels=open_now,
                lease_seconds=self.policy.lease_seconds,
                only=only,
            )
            if not claimed:
                return sent
            contacts = await self.contacts.get_many(
                {c.notice.recipient for c in claimed if c.channel != NATS}
            )

            results = await asyncio.gather(
                *(self._gated(gate, c, contacts.get(c.notice.recipient)) for c in claimed)
            )
            sent += sum(results)
        return sent

    async def _gated(self, gate: asyncio.Semaphore, item: Claimed, contact: Contact | None) -> bool:
        async with gate:
            return await self._deliver(item, contact)

    async def _deliver(self, item: Claimed, contact: Contact | None) -> bool:
        notice, channel = item.notice, item.channel
        now = self.clock.now()
        if channel == EMAIL and (contact is None or not contact.emails):
            await self.outbox.close_undeliverable(
                notice.notice_id, channel, now, "no e-mail address"
            )
            return False
        if channel == WEBHOOK and (contact is None or not contact.webhook_url):
            await self.outbox.close_undeliverable(notice.notice_id, channel, now, "no webhook")
            return False
        if channel == EMAIL and self.policy.quiet_hours.contains(now):
            await self.outbox.release(notice.notice_id, channel, self.worker)
            return False  # quiet hours began while the batch waited: after them
        if not self.claiming:
            await self.outbox.release(notice.notice_id, channel, self.worker)
            return False  # shutting down: the next replica sends it, at once and only once
        begun = await self.outbox.begin_attempt(
            notice.notice_id, channel, self.worker, self.policy.lease_seconds, now
        )
        if begun is None:
            return False  # another worker holds it now, or it was cancelled or closed
        attempt_id, attempt = begun
        try:
            # The whole send, not each step of it, ends well inside the lease just renewed, so
            # no other replica can take the delivery over while this one may still be sending.
            async with asyncio.timeout(self.policy.lease_seconds / 2):
                await self._send(item, contact)
        except DeliveryFailed as error:
            await self._failed(item, attempt_id, attempt, error)
            return False
        except Exception as error:  # a timeout, or a fault no channel foresaw: still an attempt
            # On NATS, our own backbone, it is waited out like an outage, never dead-lettered.
            failed = DeliveryFailed(f"{type(error).__name__}: {error}", outage=channel == NATS)
            await self._failed(item, attempt_id, attempt, failed)
            return False
        await self.outbox.finish_sent(attempt_id, notice.notice_id, channel, self.clock.now())
        metrics.sent.labels(notice.stage, channel).inc()
        log.info(
            "notice sent",
            notice_id=notice.notice_id,
            channel=channel,
            recipient=notice.recipient,
            unit=notice.unit,
            stage=notice.stage,
            report_type=notice.report_type,
            period=notice.period,
            attempt=attempt,
        )
        return True

    async def _send(self, item: Claimed, contact: Contact | None) -> None:
        notice = item.notice
        if item.channel == NATS:
            await self.nats.send(notice, self.clock.now(), item.carrier)
        elif item.channel == EMAIL:
            assert self.email is not None
            assert contact is not None
            await self.email.send(notice, contact.emails, self.clock.now())
        else:
            assert contact is not None
            assert contact.webhook_url is not None
            assert contact.webhook_secret is not None
            await self.webhook.send(notice, contact.webhook_url, contact.webhook_secret)

    async def _failed(
        self, item: Claimed, attempt_id: int, attempt: int, error: DeliveryFailed
    ) -> None:
        notice, channel = item.notice, item.channel
        metrics.failed.labels(notice.stage, channel).inc()
        # NATS is our own backbone: an outage there is waited out, never dead-lettered.
        dead = error.permanent or (not error.outage and attempt >= self.policy.max_attempts)
        retry_in = (
            None
            if dead
            else backoff_seconds(attempt, self.policy.backoff_base, self.policy.backoff_cap)
        )
        now = self.clock.now()
        await self.outbox.finish_failed(
            attempt_id,
            notice.notice_id,
            channel,
            now,
            error=str(error),
            http_status=error.http_status,
            retry_in=retry_in,
        )
        if not dead:
            log.warning(
                "notice delivery failed; will retry",
                notice_id=notice.notice_id,
                channel=channel,
                attempt=attempt,
                retry_in=retry_in,
                error=str(error),
            )
            return
        metrics.dead_lettered.labels(channel).inc()
        log.error(
            "notice dead-lettered",
            notice_id=notice.notice_id,
            channel=channel,
            attempts=attempt,
            error=str(error),
        )
        try:
            await self.nats.dead_letter(
                NoticeDeadLettered(
                    notice_id=notice.notice_id,
                    channel=channel,
                    recipient=notice.recipient,
                    stage=notice.stage,
                    report_type=notice.report_type,
                    period=notice.period,
                    attempts=attempt,
                    last_error=str(error),
                    at=now,
                )
            )
        except Exception as publish_error:  # the row says dead either way; operators see both
            log.error(
                "dead letter not published", notice_id=notice.notice_id, error=repr(publish_error)
            )

    def _count_cancelled(self, count: int) -> None:
        if count:
            metrics.cancelled.inc(count)
            log.info("notice deliveries cancelled; the reports arrived", count=count)
