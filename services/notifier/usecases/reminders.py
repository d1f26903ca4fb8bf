"""Reminders and escalations: what the reminder policy says is due today, to whom, put in the
outbox once; and cancelled where the reports they ask for have arrived.

When each step is due and who is late is decided in ``domain/schedule.py`` (:func:`plan`); this
module reads who has reported, renders what is new and records it. A step whose every chased
unit has a silent edge is held, not recorded, and planned again on the next tick
(``domain/silent_edges.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from services.notifier import metrics
from services.notifier.domain.messages import render_planned
from services.notifier.domain.schedule import Planned, candidate_periods, plan
from services.notifier.domain.silent_edges import Silent, held, silent_since
from services.notifier.usecases.delivery import count_cancelled
from services.notifier.usecases.ports import AcceptedReports, NewNotice, Outbox, SilentEdges
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.periods import VIETNAM
from shared.registry import Registry
from shared.schemas import LateUnit, Notice

log = get_logger(__name__)


@dataclass(frozen=True)
class ReminderPolicy:
    """``catch_up_days``: how many days back a step missed (the notifier was down) is still
    sent; ``submit_url``: where each notice tells its unit to submit."""

    catch_up_days: int = 2
    submit_url: str = "http://127.0.0.1:8080/v1/submissions"


def notice_of(planned: Planned, submit_url: str, silent: Silent | None = None) -> Notice:
    """The notice for one planned reminder (to a late unit) or escalation (a digest of the late
    units, or of the provinces behind, to the level above; its units whose edge is ``silent``
    named as offline)."""
    text = render_planned(planned, submit_url, silent)
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
        late=[] if reminder else _late_units(planned),
        submit_url=submit_url,
    )


def _late_units(planned: Planned) -> list[LateUnit]:
    if planned.behind:
        return [
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
    return [LateUnit(unit=u.code, name=u.name, province=u.province) for u in planned.late]


class Reminders:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        outbox: Outbox,
        accepted: AcceptedReports,
        edges: SilentEdges,
        email_from: Callable[[], datetime | None],
        policy: ReminderPolicy | None = None,
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.outbox = outbox
        self.accepted = accepted
        self.edges = edges
        self.email_from = email_from  # when a notice recorded now may be e-mailed; None: never
        self.policy = policy or ReminderPolicy()
        self.holding: set[str] = set()  # notice ids held at the last tick: each logged once

    async def schedule(self) -> Counter[str]:
        """Put in the outbox every reminder and escalation due today that is not there yet.
        Returns how many were new, by stage."""
        now = self.clock.now()
        today = now.astimezone(VIETNAM).date()
        periods = {(rt.code, p.label) for rt in self.catalog for p in candidate_periods(rt, today)}
        submitted = await self.accepted.submitted(periods)
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
        silent = await self.edges.silent({u.code for p in planned for u in p.late})
        going: list[Planned] = []
        waiting: list[Planned] = []
        for p in planned:
            (waiting if held(_chased(p), silent) else going).append(p)
        self._held(waiting, silent)
        added = await self.outbox.add(
            [NewNotice(notice_of(p, self.policy.submit_url, silent), _chased(p)) for p in going],
            now,
            email_from=self.email_from(),
        )
        for stage, count in added.items():
            metrics.scheduled.labels(stage).inc(count)
        if added:
            log.info("notices scheduled", count=added.total(), stages=dict(added))
        return added

    def _held(self, waiting: list[Planned], silent: Silent) -> None:
        """Logs the steps held from now on, and those no longer held (the edge was heard, the
        report arrived or the step is no longer due); the gauge counts those held now."""
        now_held = {p.notice_id for p in waiting}
        for p in waiting:
            if p.notice_id in self.holding:
                continue
            since = silent_since(_chased(p), silent)
            log.info(
                "notice held: the edge of every unit it chases is silent",
                notice_id=p.notice_id,
                stage=p.stage,
                unit=p.recipient.code,  # a reminder's is the unit it chases
                chased=_chased(p),
                since=since.isoformat() if since is not None else None,
            )
        released = self.holding - now_held
        if released:
            log.info("notices no longer held", count=len(released), notice_ids=sorted(released))
        self.holding = now_held
        metrics.held.set(len(now_held))

    async def cancel_answered(self, reported: Collection[tuple[str, str, str]]) -> int:
        """Reports arrived, as (unit, report type, period): notices about them that are not
        sent yet on some channel are cancelled there (a digest once all its units reported).
        Returns deliveries cancelled."""
        periods = {(rt, period) for _, rt, period in reported}
        if not periods:
            return 0
        cancelled = await self.outbox.cancel_answered(self.clock.now(), periods)
        count_cancelled(len(cancelled))
        return len(cancelled)


def _chased(planned: Planned) -> list[str]:
    """The units whose accepted reports make the step pointless: the ones it chases."""
    return [u.code for u in planned.late]
