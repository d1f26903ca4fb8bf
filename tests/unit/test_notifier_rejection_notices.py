"""Rejection notices on the fakes: the sender of a rejected report is told why, once, at once on
NATS, whatever times the verdict arrives; a sender the registry does not know is skipped."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifier.usecases.ports import Contact
from shared.clock import FixedClock
from shared.periods import VIETNAM
from shared.schemas import Reason, Verdict
from tests.fakes.notifier import KL226, FakeNotifier, small_world

CATALOG, REGISTRY = small_world()
HOAN_KIEM, BA_DINH = "00070", "00073"
NOW = datetime(2026, 12, 10, 9, tzinfo=VIETNAM)
REASON = Reason(code="sum_mismatch", message="Tổng không khớp", message_en="Totals differ")


def verdict(submission_id: str, unit: str = HOAN_KIEM, sender: str | None = None) -> Verdict:
    return Verdict(
        submission_id=submission_id,
        report_type=KL226,
        period="2026-Q4",
        unit=unit,
        province="01",
        status="rejected",
        reasons=[REASON],
        received_at=datetime(2026, 12, 10, 1, tzinfo=UTC),
        stream_seq=7,
        sender=sender,
    )


def notifier() -> FakeNotifier:
    return FakeNotifier.build(CATALOG, REGISTRY, FixedClock(NOW))


async def test_the_sender_is_told_on_nats_at_once_why_its_report_was_rejected() -> None:
    fake = notifier()

    await fake.service.on_rejected([verdict("s-1")], {"s-1": {"traceparent": "00-x"}})

    [notice] = fake.nats.sent
    assert notice.notice_id == "rejection:s-1"
    assert (notice.kind, notice.recipient, notice.unit) == ("rejection", HOAN_KIEM, HOAN_KIEM)
    assert notice.reasons == [REASON]
    assert notice.deadline == datetime(2026, 12, 17, 23, 59, 59, tzinfo=VIETNAM)
    assert "s-1" in notice.message_en


async def test_a_verdict_delivered_again_tells_the_sender_nothing_more() -> None:
    fake = notifier()

    await fake.service.on_rejected([verdict("s-1")], {})
    await fake.service.on_rejected([verdict("s-1")], {})
    await fake.service.relay()

    assert [n.notice_id for n in fake.nats.sent] == ["rejection:s-1"]


async def test_the_notice_goes_to_the_unit_that_sent_the_report_not_the_one_it_names() -> None:
    fake = notifier()

    await fake.service.on_rejected([verdict("s-2", unit=BA_DINH, sender=HOAN_KIEM)], {})

    [notice] = fake.nats.sent
    assert (notice.recipient, notice.unit, notice.unit_name) == (HOAN_KIEM, BA_DINH, "Ba Đình")


async def test_a_sender_the_registry_does_not_know_is_skipped() -> None:
    fake = notifier()

    await fake.service.on_rejected([verdict("s-3", sender="99999"), verdict("s-4")], {})

    assert [n.notice_id for n in fake.nats.sent] == ["rejection:s-4"]
    assert await fake.outbox.scheduled([(KL226, "2026-Q4")]) == {"rejection:s-4"}


async def test_email_and_webhook_follow_with_the_relay_not_with_the_verdict() -> None:
    fake = notifier()
    await fake.contacts.put(Contact(HOAN_KIEM, ("vanthu@hoankiem.gov.vn",), None, None, "01", NOW))

    await fake.service.on_rejected([verdict("s-5")], {})
    with_the_verdict = list(fake.email.sent)
    await fake.service.relay()

    assert with_the_verdict == []
    assert [n.notice_id for n in fake.email.sent] == ["rejection:s-5"]


async def test_a_report_accepted_later_does_not_cancel_the_rejection_notice() -> None:
    fake = notifier()
    await fake.contacts.put(Contact(HOAN_KIEM, ("vanthu@hoankiem.gov.vn",), None, None, "01", NOW))
    await fake.service.on_rejected([verdict("s-6")], {})

    fake.accepted.accept(KL226, "2026-Q4", [HOAN_KIEM])
    cancelled = await fake.service.on_accepted({(HOAN_KIEM, KL226, "2026-Q4")})
    await fake.service.relay()

    assert cancelled == 0
    assert [n.notice_id for n in fake.email.sent] == ["rejection:s-6"]
