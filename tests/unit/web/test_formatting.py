"""Figures, dates and periods read the Vietnamese way first."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.web.domain.formatting import (
    day,
    day_and_time,
    number,
    percent,
    period_name,
    stage_when,
    time_and_day,
)


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (1234.5, "1.234,5", "1,234.5"),
        (1234567, "1.234.567", "1,234,567"),
        (Decimal("50.50"), "50,5", "50.5"),
        (0, "0", "0"),
        (-1234.25, "-1.234,25", "-1,234.25"),
        (None, "–", "–"),
        (999, "999", "999"),
    ],
)
def test_numbers_use_the_languages_separators(value: object, vi: str, en: str) -> None:
    assert number(value, "vi") == vi  # type: ignore[arg-type]
    assert number(value, "en") == en  # type: ignore[arg-type]


def test_percentages_have_one_decimal_at_most() -> None:
    assert percent(95.26, "vi") == "95,3%"
    assert percent(None, "vi") == "–"


def test_dates_are_day_month_year_in_vietnam_time() -> None:
    late_evening_utc = datetime(2026, 12, 17, 18, 30, 5, tzinfo=UTC)  # 01:30 on the 18th there
    assert day(late_evening_utc) == "18/12/2026"
    assert day_and_time("2026-12-17T18:30:05+00:00") == "18/12/2026 01:30:05"
    assert time_and_day("2026-12-17T18:30:05+00:00") == "01:30 18/12/2026"
    assert time_and_day(None) == "–"
    assert day(None) == "–"


@pytest.mark.parametrize(
    ("label", "vi", "en"),
    [
        ("2026-Q4", "Quý IV/2026", "Q4 2026"),
        ("2026-03", "Tháng 03/2026", "2026-03"),
        ("2026-H1", "6 tháng đầu năm 2026", "H1 2026"),
        ("2026", "Năm 2026", "2026"),
        ("not-a-period", "not-a-period", "not-a-period"),
    ],
)
def test_periods_have_names(label: str, vi: str, en: str) -> None:
    assert period_name(label, "vi") == vi
    assert period_name(label, "en") == en


@pytest.mark.parametrize(
    ("stage", "vi", "en"),
    [
        ("unit-3", "3 ngày làm việc trước hạn", "3 working days before the deadline"),
        ("unit+0", "đúng ngày hạn", "on the due day"),
        ("parent+1", "1 ngày làm việc sau hạn", "1 working day after the deadline"),
        ("central+3", "3 ngày làm việc sau hạn", "3 working days after the deadline"),
        ("something-else", "something-else", "something-else"),
    ],
)
def test_reminder_stages_read_as_people_say_them(stage: str, vi: str, en: str) -> None:
    assert stage_when(stage, "vi") == vi
    assert stage_when(stage, "en") == en
