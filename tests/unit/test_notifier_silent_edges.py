"""Reminders wait for a silent edge (issue 17, ADR 0024): a step chasing only units whose edge the
hub hears nothing from is held, neither sent nor cancelled; once the edge is heard it goes on as
any other step. A digest that still chases someone names its silent units as offline."""

from __future__ import annotations

from datetime import datetime, timedelta

from structlog.testing import capture_logs

from services.notifier.domain.delivery import DeliveryPolicy, QuietHours
from services.notifier.domain.silent_edges import held, silent_since
from services.notifier.usecases.ports import Contact
from shared.clock import FixedClock
from shared.periods import VIETNAM
from tests.fakes.notifier import KL226, FakeNotifier, small_world

CATALOG, REGISTRY = small_world()
HOAN_KIEM, BA_DINH, HANOI = "00070", "00073", "01"
UNIT_1_DAY = datetime(2026, 12, 16, 10, tzinfo=VIETNAM)  # one working day before the deadline
PARENT_1_DAY = datetime(2026, 12, 18, 10, tzinfo=VIETNAM)  # the day after: a digest to Hà Nội
SILENT_SINCE = datetime(2026, 12, 15, 8, tzinfo=VIETNAM)
UNIT_1 = f"unit-1:{KL226}:2026-Q4:commune"
RECHECK = 30.0


def notifier(instant: datetime, *, quiet: bool = False) -> tuple[FakeNotifier, FixedClock]:
    """The notifier on the fakes; its real clock (leases, waits) is the same fixed clock."""
    clock = FixedClock(instant)
    policy = DeliveryPolicy(
        quiet_hours=QuietHours.parse("21:00-07:00" if quiet else "00:00-00:00"),
        edge_recheck_seconds=RECHECK,
    )
    fake = FakeNotifier.build(CATALOG, REGISTRY, clock, real_clock=clock, policy=policy)
    return fake, clock


def reminders_sent(fake: FakeNotifier) -> list[str]:
    return sorted(n.recipient for n in fake.nats.sent if n.kind == "reminder")


# --- the rule -------------------------------------------------------------------------------


def test_a_step_is_held_only_while_every_unit_it_chases_is_silent() -> None:
    silent = {HOAN_KIEM: SILENT_SINCE}

    assert held([HOAN_KIEM], silent)
    assert not held([BA_DINH], silent)
    assert not held([HOAN_KIEM, BA_DINH], silent)  # a digest still chasing Ba Đình goes ahead
    assert not held([], silent)  # a rejection chases no one: never held


def test_a_held_step_waits_since_the_last_of_its_units_fell_silent() -> None:
    later = SILENT_SINCE + timedelta(hours=5)

    assert silent_since([HOAN_KIEM, BA_DINH], {HOAN_KIEM: SILENT_SINCE, BA_DINH: later}) == later
    assert silent_since([BA_DINH], {HOAN_KIEM: SILENT_SINCE}) is None


# --- reminders held when they would be scheduled ----------------------------------------------


async def test_a_unit_whose_edge_is_silent_is_neither_reminded_nor_cancelled() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)

    await fake.service.tick()
    await fake.service.tick()

    assert reminders_sent(fake) == [BA_DINH]
    assert f"{UNIT_1}:{HOAN_KIEM}" not in fake.outbox.notifications  # nothing to cancel either
    assert fake.service.reminders.holding == {f"{UNIT_1}:{HOAN_KIEM}"}


async def test_a_held_reminder_is_sent_once_the_edge_is_heard_and_no_report_came() -> None:
    fake, clock = notifier(UNIT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)
    await fake.service.tick()

    fake.edges.heard(HOAN_KIEM)
    clock.instant += timedelta(minutes=1)
    await fake.service.tick()
    await fake.service.tick()

    assert reminders_sent(fake) == [HOAN_KIEM, BA_DINH]  # each once
    assert fake.service.reminders.holding == set()


async def test_a_held_reminder_is_never_sent_when_the_report_arrived_meanwhile() -> None:
    fake, clock = notifier(UNIT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)
    await fake.service.tick()

    fake.accepted.accept(KL226, "2026-Q4", [HOAN_KIEM])  # the outbox's backlog, as it landed
    fake.edges.heard(HOAN_KIEM)
    clock.instant += timedelta(minutes=1)
    await fake.service.tick()

    assert reminders_sent(fake) == [BA_DINH]
    assert f"{UNIT_1}:{HOAN_KIEM}" not in fake.outbox.notifications


async def test_holding_a_step_is_logged_once_with_its_unit_and_since_when() -> None:
    fake, _ = notifier(UNIT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)

    with capture_logs() as logs:
        await fake.service.tick()
        await fake.service.tick()
        fake.edges.heard(HOAN_KIEM)
        await fake.service.tick()

    held_lines = [line for line in logs if line["event"].startswith("notice held")]
    assert [(line["unit"], line["since"]) for line in held_lines] == [
        (HOAN_KIEM, SILENT_SINCE.isoformat())
    ]
    assert held_lines[0]["notice_id"] == f"{UNIT_1}:{HOAN_KIEM}"
    [released] = [line for line in logs if line["event"] == "notices no longer held"]
    assert released["notice_ids"] == [f"{UNIT_1}:{HOAN_KIEM}"]


# --- deliveries held when they would be sent --------------------------------------------------


async def test_an_email_scheduled_before_the_edge_fell_silent_waits_until_it_is_heard() -> None:
    night = datetime(2026, 12, 16, 22, tzinfo=VIETNAM)
    fake, clock = notifier(night, quiet=True)
    await fake.contacts.put(
        Contact(HOAN_KIEM, ("vanthu@hoankiem.gov.vn",), None, None, HANOI, night)
    )
    await fake.service.tick()  # NATS at once, e-mail in the morning
    fake.edges.fall_silent(HOAN_KIEM, night + timedelta(hours=1))

    clock.instant = datetime(2026, 12, 17, 7, 5, tzinfo=VIETNAM)
    await fake.service.relay()
    in_the_morning = list(fake.email.sent)
    fake.edges.heard(HOAN_KIEM)
    await fake.service.relay()
    before_the_recheck = list(fake.email.sent)
    clock.instant += timedelta(seconds=RECHECK + 1)
    await fake.service.relay()
    await fake.service.relay()

    assert in_the_morning == before_the_recheck == []
    assert [n.notice_id for n in fake.email.sent] == [f"{UNIT_1}:{HOAN_KIEM}"]
    delivery = fake.outbox.deliveries[(f"{UNIT_1}:{HOAN_KIEM}", "email")]
    assert (delivery.status, delivery.attempts) == ("sent", 1)  # held: never an attempt


async def test_a_held_delivery_is_cancelled_when_the_report_arrives() -> None:
    fake, clock = notifier(UNIT_1_DAY)
    await fake.service.schedule()
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)

    await fake.service.relay()
    pending = await fake.outbox.unsent_count()
    fake.accepted.accept(KL226, "2026-Q4", [HOAN_KIEM])
    cancelled = await fake.service.on_accepted({(HOAN_KIEM, KL226, "2026-Q4")})
    clock.instant += timedelta(seconds=RECHECK + 1)
    await fake.service.relay()

    assert pending == 1  # held, not cancelled, while silent
    assert cancelled == 1
    assert reminders_sent(fake) == [BA_DINH]
    assert fake.outbox.deliveries[(f"{UNIT_1}:{HOAN_KIEM}", "nats")].attempts == 0


# --- the province's digest --------------------------------------------------------------------


async def test_a_digest_names_a_commune_whose_edge_is_silent_as_offline_not_late() -> None:
    fake, _ = notifier(PARENT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)

    await fake.service.tick()

    [digest] = [n for n in fake.nats.sent if n.kind == "escalation"]
    assert digest.recipient == HANOI
    assert digest.subject_vi.startswith("Quá hạn: 1 đơn vị chưa nộp")
    assert "- Ba Đình (00073)\n" in digest.message_vi
    assert "- Hoàn Kiếm (00070): mất kết nối từ 08:00 15/12/2026" in digest.message_vi
    assert "- Hoàn Kiếm (00070): offline (edge silent since 08:00 15/12/2026)" in (
        digest.message_en
    )
    assert "- Hoàn Kiếm (00070)\n" not in digest.message_vi  # not among the late
    # Still about both: cancelled only once both communes have reported.
    assert fake.outbox.notifications[digest.notice_id].about == (HOAN_KIEM, BA_DINH)


async def test_a_digest_of_only_silent_communes_waits_and_then_names_who_is_late() -> None:
    fake, clock = notifier(PARENT_1_DAY)
    fake.edges.fall_silent(HOAN_KIEM, SILENT_SINCE)
    fake.edges.fall_silent(BA_DINH, SILENT_SINCE)
    await fake.service.tick()
    while_silent = [n for n in fake.nats.sent if n.kind == "escalation"]

    fake.edges.heard(BA_DINH)
    clock.instant += timedelta(minutes=1)
    await fake.service.tick()

    assert while_silent == []
    [digest] = [n for n in fake.nats.sent if n.kind == "escalation"]
    assert digest.message_en.startswith("1 units under Hà Nội (01)")
    assert "- Ba Đình (00073)\n" in digest.message_en
    assert "Hoàn Kiếm (00070): offline" in digest.message_en
