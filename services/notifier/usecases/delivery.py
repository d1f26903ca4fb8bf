"""Delivering what the outbox holds: each (notice, channel) once, retried with backoff after a
failure, dead-lettered when the policy gives up.

A delivery is claimed (leased to this worker), begun (the lease renewed and the attempt
recorded, only while the lease is still ours), sent within half the lease, and finished as
sent or failed; ``ports.Outbox`` says why that sends each delivery once across replicas.

A claimed delivery whose every chased unit has fallen silent since it was scheduled is given
back unsent for a tick (``domain/silent_edges.py``): held, never begun, so held or not it is
still sent at most once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from datetime import datetime

from services.notifier import metrics
from services.notifier.domain.delivery import EMAIL, NATS, WEBHOOK, DeliveryPolicy
from services.notifier.domain.silent_edges import Silent, held, silent_since
from services.notifier.usecases.ports import (
    Claimed,
    Contact,
    ContactStore,
    DeliveryFailed,
    EmailSender,
    NatsSender,
    Outbox,
    SilentEdges,
    WebhookSender,
)
from shared.clock import Clock
from shared.logging import get_logger
from shared.schemas import NoticeDeadLettered

log = get_logger(__name__)


class Delivery:
    def __init__(
        self,
        *,
        clock: Clock,
        outbox: Outbox,
        contacts: ContactStore,
        edges: SilentEdges,
        nats: NatsSender,
        email: EmailSender | None,
        webhook: WebhookSender,
        worker: str,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.outbox = outbox
        self.contacts = contacts
        self.edges = edges
        self.nats = nats
        self.email = email
        self.webhook = webhook
        self.worker = worker
        self.policy = policy or DeliveryPolicy()
        self.claiming = True  # False while shutting down: finish what is claimed, claim no more
        # (notice id, channel) -> when last held (monotonic): each hold logged once, not per look.
        self._holding: dict[tuple[str, str], float] = {}

    def email_from(self) -> datetime | None:
        """When a notice recorded now may first be e-mailed; None when e-mail is off."""
        if self.email is None:
            return None
        return self.policy.quiet_hours.next_allowed(self.clock.now())

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
        claim (restricted to the notices ``only`` and the ``channels`` if given). Returns
        deliveries made."""
        if only is not None and not only:
            return 0
        count_cancelled(len(await self.outbox.cancel_answered(self.clock.now())))
        forget = time.monotonic() - 3 * self.policy.edge_recheck_seconds  # sent or cancelled
        self._holding = {key: at for key, at in self._holding.items() if at >= forget}
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
            silent = await self.edges.silent({unit for c in claimed for unit in c.about})
            results = await asyncio.gather(
                *(self._gated(gate, c, contacts.get(c.notice.recipient), silent) for c in claimed)
            )
            sent += sum(results)
        return sent

    async def _gated(
        self, gate: asyncio.Semaphore, item: Claimed, contact: Contact | None, silent: Silent
    ) -> bool:
        async with gate:
            return await self._deliver(item, contact, silent)

    async def _not_now(self, item: Claimed, contact: Contact | None, silent: Silent) -> bool:
        """Closes or gives back a claimed delivery that must not be sent now; True if it did."""
        notice_id, channel, now = item.notice.notice_id, item.channel, self.clock.now()
        if channel == EMAIL and (contact is None or not contact.emails):
            await self.outbox.close_undeliverable(notice_id, channel, now, "no e-mail address")
        elif channel == WEBHOOK and (contact is None or not contact.webhook_url):
            await self.outbox.close_undeliverable(notice_id, channel, now, "no webhook")
        elif held(item.about, silent):
            # Its reports may be on their way: neither sent nor cancelled, looked at again later.
            await self.outbox.release(
                notice_id, channel, self.worker, wait_seconds=self.policy.edge_recheck_seconds
            )
            self._log_held(item, silent)
        elif channel == EMAIL and self.policy.quiet_hours.contains(now):
            # Quiet hours began while the batch waited: after them.
            await self.outbox.release(notice_id, channel, self.worker)
        elif not self.claiming:
            # Shutting down: the next replica sends it, at once and only once.
            await self.outbox.release(notice_id, channel, self.worker)
        else:
            return False
        return True

    def _log_held(self, item: Claimed, silent: Silent) -> None:
        metrics.held_deliveries.inc()
        now = time.monotonic()
        key = (item.notice.notice_id, item.channel)
        if key not in self._holding:
            since = silent_since(item.about, silent)
            log.info(
                "notice delivery held: the edge of every unit it chases is silent",
                notice_id=item.notice.notice_id,
                channel=item.channel,
                stage=item.notice.stage,
                unit=item.notice.unit,
                chased=list(item.about),
                since=since.isoformat() if since is not None else None,
            )
        self._holding[key] = now

    async def _deliver(self, item: Claimed, contact: Contact | None, silent: Silent) -> bool:
        notice, channel = item.notice, item.channel
        if await self._not_now(item, contact, silent):
            return False
        begun = await self.outbox.begin_attempt(
            notice.notice_id, channel, self.worker, self.policy.lease_seconds, self.clock.now()
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
        retry_in = self.policy.retry_delay(attempt, permanent=error.permanent, outage=error.outage)
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
        if retry_in is not None:
            log.warning(
                "notice delivery failed; will retry",
                notice_id=notice.notice_id,
                channel=channel,
                attempt=attempt,
                retry_in=retry_in,
                error=str(error),
            )
            return
        await self._dead_letter(item, attempt, error, now)

    async def _dead_letter(
        self, item: Claimed, attempt: int, error: DeliveryFailed, now: datetime
    ) -> None:
        notice, channel = item.notice, item.channel
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


def count_cancelled(count: int) -> None:
    """Counts and logs deliveries cancelled because their reports arrived."""
    if count:
        metrics.cancelled.inc(count)
        log.info("notice deliveries cancelled; the reports arrived", count=count)
