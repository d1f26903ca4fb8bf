"""The notifier's round, and the one object its entrypoints call.

Each job is a use case of its own (``usecases/``): reminders and escalations, rejection
notices, delivery. ``bootstrap.py`` builds them; this class runs a round of them for the ticker
and gives the consumers and the loop the names they call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from services.notifier import metrics
from services.notifier.usecases.delivery import Delivery
from services.notifier.usecases.ports import Outbox
from services.notifier.usecases.rejection_notices import RejectionNotices
from services.notifier.usecases.reminders import Reminders
from shared.schemas import Verdict


class NotificationService:
    def __init__(
        self,
        *,
        reminders: Reminders,
        rejections: RejectionNotices,
        delivery: Delivery,
        outbox: Outbox,
    ) -> None:
        self.reminders = reminders
        self.rejections = rejections
        self.delivery = delivery
        self.outbox = outbox

    @property
    def claiming(self) -> bool:
        """False while shutting down: finish what is claimed, claim no more."""
        return self.delivery.claiming

    @claiming.setter
    def claiming(self, value: bool) -> None:
        self.delivery.claiming = value

    async def tick(self) -> int:
        """One round: schedule what the policy says is due today, then deliver what is due.
        Returns deliveries made."""
        await self.reminders.schedule()
        sent = await self.delivery.relay()
        metrics.unsent.set(await self.outbox.unsent_count())
        return sent

    async def schedule(self) -> Counter[str]:
        return await self.reminders.schedule()

    async def relay(
        self, *, only: Collection[str] | None = None, channels: Collection[str] | None = None
    ) -> int:
        return await self.delivery.relay(only=only, channels=channels)

    async def on_accepted(self, reported: Collection[tuple[str, str, str]]) -> int:
        """Reports arrived, as (unit, report type, period): their reminders are cancelled."""
        return await self.reminders.cancel_answered(reported)

    async def on_rejected(
        self, verdicts: Sequence[Verdict], carriers: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Tell each submitter why its report was rejected (``carriers``: trace, by id)."""
        await self.rejections.notify(verdicts, carriers)
