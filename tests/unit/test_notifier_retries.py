"""Delivery on the fakes: a failed send is tried again after its backoff, given up on after the
policy's attempts (and published as a dead letter), at once when it can never succeed, and never
when it is our own NATS that is down."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifier.domain.delivery import DeliveryPolicy
from services.notifier.usecases.ports import Contact, DeliveryFailed
from shared.clock import FixedClock
from shared.periods import VIETNAM
from tests.fakes.notifier import FakeNotifier, small_world

CATALOG, REGISTRY = small_world()
HOAN_KIEM = "00070"
UNIT_1_DAY = datetime(2026, 12, 16, 10, tzinfo=VIETNAM)
NOTICE = f"unit-1:kl226-quarterly:2026-Q4:commune:{HOAN_KIEM}"
POLICY = DeliveryPolicy(max_attempts=3, backoff_base=60, backoff_cap=600)
WEBHOOK = Contact(
    HOAN_KIEM,
    (),
    "https://hoankiem.example.gov.vn/hook",
    "secret-0123456789abcdef",
    "01",
    UNIT_1_DAY,
)


def notifier() -> tuple[FakeNotifier, FixedClock]:
    """A notifier whose leases and retry delays follow ``real``, a clock the test moves."""
    real = FixedClock(datetime(2026, 1, 1, 9))
    fake = FakeNotifier.build(
        CATALOG, REGISTRY, FixedClock(UNIT_1_DAY), real_clock=real, policy=POLICY
    )
    return fake, real


def later(real: FixedClock, seconds: float) -> None:
    real.instant += timedelta(seconds=seconds)


def delivery(fake: FakeNotifier, channel: str) -> tuple[str, int]:
    found = fake.outbox.deliveries[(NOTICE, channel)]
    return found.status, found.attempts


async def test_a_failed_webhook_is_sent_again_after_its_backoff_and_not_before() -> None:
    fake, real = notifier()
    await fake.contacts.put(WEBHOOK)
    fake.webhook.failures.append(DeliveryFailed("HTTP 503", http_status=503))

    await fake.service.tick()
    await fake.service.relay()  # at once: still backing off (at least half of 60 s)
    too_soon = delivery(fake, "webhook")
    later(real, 61)
    await fake.service.relay()

    assert too_soon == ("pending", 1)
    assert delivery(fake, "webhook") == ("sent", 2)
    assert [n.notice_id for n in fake.webhook.sent] == [NOTICE]
    assert fake.nats.dead_letters == []


async def test_a_webhook_failing_every_time_is_dead_lettered_after_the_last_attempt() -> None:
    fake, real = notifier()
    await fake.contacts.put(WEBHOOK)
    fake.webhook.failures.extend(DeliveryFailed("HTTP 500", http_status=500) for _ in range(5))

    await fake.service.tick()
    for _ in range(5):
        later(real, 601)
        await fake.service.relay()

    assert delivery(fake, "webhook") == ("dead", POLICY.max_attempts)
    [dead] = fake.nats.dead_letters
    assert (dead.notice_id, dead.channel, dead.attempts) == (NOTICE, "webhook", 3)
    assert dead.last_error == "HTTP 500"
    assert fake.webhook.sent == []


async def test_a_failure_that_cannot_pass_is_dead_lettered_at_once() -> None:
    fake, _ = notifier()
    await fake.contacts.put(WEBHOOK)
    fake.webhook.failures.append(DeliveryFailed("webhook_host_private: ...", permanent=True))

    await fake.service.tick()

    assert delivery(fake, "webhook") == ("dead", 1)
    assert [d.channel for d in fake.nats.dead_letters] == ["webhook"]


async def test_a_nats_outage_is_waited_out_past_the_attempt_limit() -> None:
    fake, real = notifier()
    # Four rounds in which both communes' reminders fail, past max_attempts (3).
    fake.nats.failures.extend(DeliveryFailed("no responders", outage=True) for _ in range(8))

    await fake.service.tick()
    for _ in range(4):
        later(real, 601)
        await fake.service.relay()

    assert delivery(fake, "nats") == ("sent", 5)
    assert fake.nats.dead_letters == []


async def test_a_webhook_removed_after_the_notice_was_recorded_is_closed_unsent() -> None:
    fake, _ = notifier()
    await fake.contacts.put(WEBHOOK)
    await fake.service.schedule()
    await fake.contacts.delete(HOAN_KIEM)

    await fake.service.relay()

    assert delivery(fake, "webhook") == ("cancelled", 0)
    assert fake.outbox.deliveries[(NOTICE, "webhook")].last_error == "no webhook"
    assert fake.webhook.sent == []


async def test_a_notifier_shutting_down_claims_nothing_more() -> None:
    fake, _ = notifier()
    await fake.service.schedule()
    fake.service.claiming = False

    sent = await fake.service.relay()

    assert sent == 0
    assert fake.nats.sent == []
    assert await fake.outbox.unsent_count() == 2
