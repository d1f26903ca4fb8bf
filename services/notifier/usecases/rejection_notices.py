"""Rejection notices: each submitter told why its report was rejected, once, and at once on NATS.

The notice goes into the outbox under ``rejection:<submission_id>``, so a verdict redelivered or
republished at any later time finds it there and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.notifier import metrics
from services.notifier.domain.delivery import NATS
from services.notifier.domain.messages import render_rejection
from services.notifier.usecases.delivery import Delivery
from services.notifier.usecases.ports import NewNotice, Outbox
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Notice, Verdict

log = get_logger(__name__)


class RejectionNotices:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        outbox: Outbox,
        delivery: Delivery,
        submit_url: str,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.outbox = outbox
        self.delivery = delivery
        self.submit_url = submit_url

    async def notify(
        self, verdicts: Sequence[Verdict], carriers: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Record a notice for each rejected verdict and deliver it on NATS now (e-mail and
        webhook follow with the relay loop). ``carriers`` (by submission id) continue each
        report's trace."""
        notices: list[NewNotice] = []
        for verdict in verdicts:
            notice = self.notice_for(verdict)
            if notice is None:
                metrics.skipped.labels("unknown_recipient").inc()
                log.warning(
                    "rejection not notified: no such unit",
                    submission_id=verdict.submission_id,
                    unit=verdict.sender or verdict.unit,
                )
                continue
            notices.append(NewNotice(notice, [], carriers.get(verdict.submission_id)))
        added = await self.outbox.add(
            notices, self.clock.now(), email_from=self.delivery.email_from()
        )
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        await self.delivery.relay(only=[n.notice.notice_id for n in notices], channels=[NATS])

    def notice_for(self, verdict: Verdict) -> Notice | None:
        """The notice for the unit that sent ``verdict``'s submission (which may differ from the
        unit its body names); None if that unit is not in the registry."""
        recipient = self.registry.get(verdict.sender or verdict.unit)
        if recipient is None:
            return None
        report_type = self.catalog.get(verdict.report_type)
        unit = self.registry.get(verdict.unit)
        title = (
            (report_type.title.vi, report_type.title.en)
            if report_type is not None
            else (verdict.report_type, verdict.report_type)
        )
        text = render_rejection(
            verdict.submission_id, title, verdict.period, verdict.reasons, self.submit_url
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
            deadline=self._deadline(verdict),
            subject_vi=text.subject_vi,
            subject_en=text.subject_en,
            message_vi=text.body_vi,
            message_en=text.body_en,
            submit_url=self.submit_url,
            submission_id=verdict.submission_id,
            reasons=verdict.reasons,
        )

    def _deadline(self, verdict: Verdict) -> datetime | None:
        """The deadline of the rejected report, so the unit knows how long it has to resubmit;
        None for a report type, unit or period the catalog or registry does not know."""
        report_type = self.catalog.get(verdict.report_type)
        unit = self.registry.get(verdict.unit)
        if report_type is None or unit is None:
            return None
        try:
            return report_type.deadline_for(unit.level, report_type.period_of(verdict.period))
        except ValueError:  # a period the report type does not have
            return None
