"""Reminders and escalations on the fakes: what the policy says is due is recorded once, sent on
each of the recipient's channels, e-mailed outside quiet hours only, and cancelled where the
report arrived first."""

from __future__ import annotations

from datetime import datetime

from services.notifier.domain.delivery import DeliveryPolicy, QuietHours
from services.notifier.usecases.ports import Contact
from shared.clock import FixedClock
from shared.periods import VIETNAM
from tests.fakes.notifier import KL226, FakeNotifier, small_world

CATALOG, REGISTRY = small_world()
HOAN_KIEM, BA_DINH, HANOI = "00070", "00073", "01"
UNIT_1_DAY = datetime(2026, 12, 16, 10, tzinfo=VIETNAM)  # one working day before the deadline
PARENT_1_DAY = datetime(2026, 12, 18, 10, tzinfo=VIETNAM)  # the day after: a digest to Hà Nội
UNIT_1 = f"unit-1:{KL226}:2026-Q4:commune"


def notifier(
    instant: datetime, policy: DeliveryPolicy | None = None
) -> tuple[FakeNotifier, FixedClock]:
    clock = FixedClock(instant)
    return FakeNotifier.build(CATALOG, REGISTRY, clock, policy=policy), clock


def contact(unit: str, *, emails: tuple[str, ...] = (), webhook: bool = False) -> Contact:
    url = f"https://{unit}.example.gov.vn/hook" if webhook else None
    secret = "webhook-secret-0123456789" if webhook else None
    return Contact(unit, emails, url, secret, HANOI, UNIT_1_DAY)


async def test_each_late_unit_is_reminded_once_however_many_rounds_run() -> None:
    fake, _ = notifier(UNIT_1_DAY)

    first = await fake.service.tick()
    second = await fake.service.tick()

    assert (first, second) == (2, 0)
    assert sorted(n.notice_id for n in fake.nats.sent) == [
        f"{UNIT_1}:{HOAN_KIEM}",
        f"{UNIT_1}:{BA_DINH}",
    ]
    assert await fake.outbox.unsent_count() == 0


async def test_a_unit_that_has_reported_is_not_reminded() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    fake.accepted.accept(KL226, "2026-Q4", [HOAN_KIEM])

    await fake.service.tick()

    assert [n.recipient for n in fake.nats.sent] == [BA_DINH]


async def test_a_reminder_goes_to_every_channel_the_unit_has() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    await fake.contacts.put(contact(HOAN_KIEM, emails=("vanthu@hoankiem.gov.vn",), webhook=True))

    await fake.service.tick()

    assert [n.recipient for n in fake.email.sent] == [HOAN_KIEM]
    assert fake.email.recipients == [("vanthu@hoankiem.gov.vn",)]
    assert fake.webhook.urls == [f"https://{HOAN_KIEM}.example.gov.vn/hook"]
    assert len(fake.nats.sent) == 2  # NATS for both communes, contacts or not


async def test_a_reminder_planned_at_night_is_emailed_when_quiet_hours_end() -> None:
    night = datetime(2026, 12, 16, 22, tzinfo=VIETNAM)
    fake, clock = notifier(
        night, policy=DeliveryPolicy(quiet_hours=QuietHours.parse("21:00-07:00"))
    )
    await fake.contacts.put(contact(HOAN_KIEM, emails=("vanthu@hoankiem.gov.vn",)))

    await fake.service.tick()
    at_night = list(fake.email.sent)
    clock.instant = datetime(2026, 12, 17, 7, 5, tzinfo=VIETNAM)
    await fake.service.relay()

    assert at_night == []
    assert [n.notice_id for n in fake.email.sent] == [f"{UNIT_1}:{HOAN_KIEM}"]
    assert len(fake.nats.sent) == 2  # NATS does not wait for the morning


async def test_a_digest_of_the_late_communes_goes_to_their_province() -> None:
    fake, _ = notifier(PARENT_1_DAY)
    fake.accepted.accept(KL226, "2026-Q4", [BA_DINH])

    await fake.service.tick()

    [digest] = fake.nats.sent
    assert (digest.kind, digest.stage, digest.recipient) == ("escalation", "parent+1", HANOI)
    assert [u.unit for u in digest.late] == [HOAN_KIEM]


async def test_a_report_accepted_before_its_reminder_went_out_cancels_it() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    await fake.contacts.put(contact(HOAN_KIEM, emails=("vanthu@hoankiem.gov.vn",)))
    await fake.service.schedule()

    fake.accepted.accept(KL226, "2026-Q4", [HOAN_KIEM])
    cancelled = await fake.service.on_accepted({(HOAN_KIEM, KL226, "2026-Q4")})
    await fake.service.relay()

    assert cancelled == 2  # its NATS and e-mail deliveries
    assert [n.recipient for n in fake.nats.sent] == [BA_DINH]
    assert fake.email.sent == []
    assert await fake.outbox.unsent_count() == 0


async def test_an_accepted_report_for_another_period_cancels_nothing() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    await fake.service.schedule()
    fake.accepted.accept(KL226, "2026-Q3", [HOAN_KIEM])

    cancelled = await fake.service.on_accepted({(HOAN_KIEM, KL226, "2026-Q3")})

    assert cancelled == 0
    assert await fake.outbox.unsent_count() == 2
