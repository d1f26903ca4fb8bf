"""The notifier's loop stops without cutting a send short: a send cut off after the receiver took
it, and before it was recorded, would be sent again by the next replica."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from services.notifier.entrypoints.ticker import Ticker
from services.notifier.usecases.notifications import NotificationService


class SlowRelay:
    """Stands in for the service: each relay takes a while, as a batch of webhooks does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.claiming = True
        self.started = asyncio.Event()
        self.rounds = 0
        self.finished = 0

    async def tick(self) -> None:
        await self.relay()

    async def relay(self) -> int:
        self.rounds += 1
        self.started.set()
        await asyncio.sleep(self.seconds)
        self.finished += 1
        return 0


def ticker_of(service: Any, **options: Any) -> Ticker:
    return Ticker(cast(NotificationService, service), every_seconds=0.01, **options)


async def test_stopping_lets_the_round_in_progress_finish_and_claim_nothing_more() -> None:
    service = SlowRelay(0.3)
    ticker = ticker_of(service)
    ticker.start()
    await service.started.wait()

    await ticker.stop()

    assert service.finished == 1  # not cancelled in the middle
    assert service.rounds == 1  # and no round begun after the stop
    assert service.claiming is False  # the service itself gives back what it has not begun


async def test_a_round_that_outlasts_the_grace_period_is_cancelled() -> None:
    service = SlowRelay(30)
    ticker = ticker_of(service, stop_grace_seconds=0.2)
    ticker.start()
    await service.started.wait()

    await asyncio.wait_for(ticker.stop(), 5)

    assert service.finished == 0
