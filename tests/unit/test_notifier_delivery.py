"""Quiet hours, backoff, webhook signatures and the texts of notices."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime

from services.notifier.domain.delivery import (
    QuietHours,
    backoff_seconds,
    signature,
    signature_is_valid,
)
from services.notifier.domain.messages import TEMPLATES, render, render_planned
from services.notifier.domain.schedule import plan
from shared.catalog import Catalog
from shared.periods import VIETNAM
from tests.unit.test_notifier_schedule import CATALOG, REGISTRY

NIGHT = QuietHours.parse("21:00-07:00")


def vietnam(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


def test_quiet_hours_hold_email_from_nine_in_the_evening_to_seven_in_the_morning() -> None:
    assert NIGHT.contains(vietnam(21))
    assert NIGHT.contains(vietnam(3))
    assert not NIGHT.contains(vietnam(7))
    assert not NIGHT.contains(vietnam(20, 59))
    assert NIGHT.next_allowed(vietnam(22)) == vietnam(7, day=11)
    assert NIGHT.next_allowed(vietnam(2)) == vietnam(7)
    assert NIGHT.next_allowed(vietnam(12)) == vietnam(12)
    # UTC in, Vietnam time out: 15:00 UTC is 22:00 in Hà Nội.
    assert NIGHT.contains(datetime(2026, 12, 10, 15, tzinfo=UTC))
    assert not QuietHours.parse("00:00-00:00").contains(vietnam(3))


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff_seconds(n, 2.0, 60.0, rng) for n in range(1, 9)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 60.0


def test_a_webhook_signature_covers_timestamp_and_body_and_expires() -> None:
    body = b'{"notice_id": "x"}'
    now = datetime.now(UTC)
    stamp = str(int(time.time()))
    header = signature("s3cret-s3cret-s3cret", stamp, body)

    assert header.startswith("sha256=")
    assert signature_is_valid("s3cret-s3cret-s3cret", stamp, body, header, now)
    assert not signature_is_valid("another-secret-value", stamp, body, header, now)
    assert not signature_is_valid("s3cret-s3cret-s3cret", stamp, body + b" ", header, now)
    old = str(int(time.time()) - 3600)
    replayed = signature("s3cret-s3cret-s3cret", old, body)
    assert not signature_is_valid("s3cret-s3cret-s3cret", old, body, replayed, now)


def test_every_message_has_english_and_vietnamese_falls_back_to_it() -> None:
    keys = {key for key, _ in TEMPLATES}
    assert all((key, "en") in TEMPLATES for key in keys)
    vietnamese = TEMPLATES.pop(("reminder", "vi"))
    try:
        text = render("reminder", {"title": "T", "period": "2026-04"})
    finally:
        TEMPLATES[("reminder", "vi")] = vietnamese
    assert text.subject_vi == text.subject_en


def test_texts_name_report_period_deadline_what_is_missing_and_how_to_submit() -> None:
    planned = {
        p.stage + p.level + p.recipient.code: p
        for p in plan(
            Catalog(CATALOG.report_types), REGISTRY, set(), date(2026, 4, 22), catch_up_days=0
        )
        if p.period.label == "2026-04"
    }
    reminder = render_planned(planned["unit-3province01"], "https://baocao.gov.vn/v1/submissions")
    digest = render_planned(planned["parent+1commune01"], "https://baocao.gov.vn/v1/submissions")

    assert "Hà Nội (01)" in reminder.body_vi
    assert "2026-04" in reminder.subject_vi
    assert "23:59 25/04/2026" in reminder.body_vi
    assert "còn 3 ngày làm việc" in reminder.body_vi
    assert "3 working days left" in reminder.body_en
    assert "https://baocao.gov.vn/v1/submissions" in reminder.body_vi
    assert "baocao submit" in reminder.body_en
    assert "Đơn vị 00001 (00001)" in digest.body_vi
    assert "2 đơn vị" in digest.body_vi
    assert "Overdue" in digest.subject_en
