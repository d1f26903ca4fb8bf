"""The reminder policy over a month: working days, a holiday, digests, catch-up, no reminder to
a unit that has reported."""

from __future__ import annotations

from datetime import date, timedelta

from services.notifier.domain.messages import render_planned
from services.notifier.domain.schedule import Planned, plan, steps_due
from shared.catalog import Catalog, Level
from shared.catalog.model import DEFAULT_REMINDERS
from shared.periods import Period
from shared.registry import Registry, Unit
from shared.workdays import shift_working_days

START = date(2025, 7, 1)
CATALOG = Catalog({"lg2-monthly": Catalog.load().report_types["lg2-monthly"]})


def unit(code: str, level: Level, parent: str | None, name: str = "") -> Unit:
    return Unit(code, name or f"Đơn vị {code}", level, "x", parent, START)


REGISTRY = Registry(
    [
        unit("VN", Level.CENTRAL, None),
        unit("01", Level.PROVINCE, "VN", "Hà Nội"),
        unit("02", Level.PROVINCE, "VN", "Hà Giang"),
        unit("00001", Level.COMMUNE, "01"),
        unit("00002", Level.COMMUNE, "01"),
        unit("00003", Level.COMMUNE, "02"),
    ]
)


def month_of_ticks(
    first: date, last: date, submitted: set[tuple[str, str, str]], catch_up: int = 2
) -> dict[str, tuple[date, Planned]]:
    """Plan every day from ``first`` to ``last``; the first day each notice was planned."""
    seen: dict[str, tuple[date, Planned]] = {}
    day = first
    while day <= last:
        for planned in plan(CATALOG, REGISTRY, submitted, day, catch_up_days=catch_up):
            seen.setdefault(planned.notice_id, (day, planned))
        day += timedelta(days=1)
    return seen


def test_april_2026_skips_weekends_and_the_hung_kings_and_reunification_holidays() -> None:
    # lg2-monthly 2026-04: communes due 21 Apr (5 working days after the 14th), provinces
    # on the 25th (a Saturday). 27 Apr is Hùng Kings' day (observed), 30 Apr and 1 May holidays.
    seen = month_of_ticks(date(2026, 4, 1), date(2026, 5, 10), submitted=set())
    april = {
        notice_id: day
        for notice_id, (day, planned) in seen.items()
        if planned.period.label == "2026-04"
    }

    assert april == {
        "unit-3:lg2-monthly:2026-04:commune:00001": date(2026, 4, 16),
        "unit-3:lg2-monthly:2026-04:commune:00002": date(2026, 4, 16),
        "unit-3:lg2-monthly:2026-04:commune:00003": date(2026, 4, 16),
        "unit-1:lg2-monthly:2026-04:commune:00001": date(2026, 4, 20),
        "unit-1:lg2-monthly:2026-04:commune:00002": date(2026, 4, 20),
        "unit-1:lg2-monthly:2026-04:commune:00003": date(2026, 4, 20),
        "unit+0:lg2-monthly:2026-04:commune:00001": date(2026, 4, 21),
        "unit+0:lg2-monthly:2026-04:commune:00002": date(2026, 4, 21),
        "unit+0:lg2-monthly:2026-04:commune:00003": date(2026, 4, 21),
        "parent+1:lg2-monthly:2026-04:commune:01": date(2026, 4, 22),
        "parent+1:lg2-monthly:2026-04:commune:02": date(2026, 4, 22),
        "central+3:lg2-monthly:2026-04:commune:VN": date(2026, 4, 24),
        "unit-3:lg2-monthly:2026-04:province:01": date(2026, 4, 22),
        "unit-3:lg2-monthly:2026-04:province:02": date(2026, 4, 22),
        "unit-1:lg2-monthly:2026-04:province:01": date(2026, 4, 24),
        "unit-1:lg2-monthly:2026-04:province:02": date(2026, 4, 24),
        "unit+0:lg2-monthly:2026-04:province:01": date(2026, 4, 25),
        "unit+0:lg2-monthly:2026-04:province:02": date(2026, 4, 25),
        # Sunday 26, Hùng Kings (observed) Monday 27: the first working day after is the 28th.
        "parent+1:lg2-monthly:2026-04:province:VN": date(2026, 4, 28),
        # 29 Apr, then 30 Apr and 1 May are holidays, 2-3 May a weekend: 4 May is the third.
        "central+3:lg2-monthly:2026-04:province:VN": date(2026, 5, 4),
    }


def test_a_province_gets_one_digest_of_its_late_communes_and_central_one_of_the_provinces() -> None:
    submitted = {("lg2-monthly", "2026-04", "00002")}

    planned = {
        p.notice_id: p
        for p in plan(CATALOG, REGISTRY, submitted, date(2026, 4, 22), catch_up_days=0)
    }
    central = {
        p.notice_id: p
        for p in plan(CATALOG, REGISTRY, submitted, date(2026, 4, 24), catch_up_days=0)
    }

    ha_noi = planned["parent+1:lg2-monthly:2026-04:commune:01"]
    assert [u.code for u in ha_noi.late] == ["00001"]
    assert ha_noi.kind == "escalation"
    digest = central["central+3:lg2-monthly:2026-04:commune:VN"]
    assert [(p.province.code, p.submitted, p.expected) for p in digest.behind] == [
        ("02", 0, 1),
        ("01", 1, 2),
    ]


def test_no_reminder_to_a_unit_that_has_reported_and_no_digest_when_none_is_late() -> None:
    everyone = {("lg2-monthly", "2026-04", u) for u in ("00001", "00002", "00003")}

    planned = plan(CATALOG, REGISTRY, everyone, date(2026, 4, 20), catch_up_days=0)
    digests = plan(CATALOG, REGISTRY, everyone, date(2026, 4, 22), catch_up_days=0)

    assert not [p for p in planned if p.level == Level.COMMUNE and p.period.label == "2026-04"]
    assert not [p for p in digests if p.level == Level.COMMUNE and p.period.label == "2026-04"]


def test_a_missed_day_is_caught_up_with_the_latest_step_only() -> None:
    due = date(2026, 4, 21)

    on_time = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 20), catch_up_days=2)
    after_an_outage = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 21), catch_up_days=2)
    too_late = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 29), catch_up_days=2)

    assert [s.stage for s in on_time] == ["unit-1"]
    assert [s.stage for s in after_an_outage] == ["unit+0"]  # not unit-3 or unit-1 as well
    assert too_late == []  # parent+1 (22nd) and central+3 (24th) are over two days past


def test_a_reminder_is_never_sent_after_its_deadline_even_within_catch_up() -> None:
    due = date(2026, 4, 21)

    day_after = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 22), catch_up_days=5)

    assert [s.stage for s in day_after] == ["parent+1"]


def test_a_reminder_caught_up_a_day_late_counts_the_working_days_really_left() -> None:
    rule = CATALOG.report_types["lg2-monthly"].level_rule(Level.COMMUNE)
    assert rule is not None
    due = rule.deadline.due_date(Period.parse("2026-03"))
    step_day = shift_working_days(due, -3)
    a_day_late = shift_working_days(step_day, 1)

    def reminder_on(day: date) -> str:
        planned = plan(CATALOG, REGISTRY, set(), day, catch_up_days=2)
        [found] = [
            p
            for p in planned
            if p.stage == "unit-3" and p.recipient.code == "00001" and p.period.label == "2026-03"
        ]
        return render_planned(found, "https://baocao.gov.vn/v1/submissions").body_vi

    assert "còn 3 ngày làm việc" in reminder_on(step_day)
    assert "còn 2 ngày làm việc" in reminder_on(a_day_late)


def test_escalations_wait_for_the_grace_days_a_report_is_still_on_time_in() -> None:
    due, grace_end = date(2026, 4, 21), date(2026, 4, 23)  # two days of grace

    within_grace = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 22), 0, grace_end)
    after_grace = steps_due(DEFAULT_REMINDERS, due, date(2026, 4, 24), 0, grace_end)
    on_the_day = steps_due(DEFAULT_REMINDERS, due, due, 0, grace_end)

    assert within_grace == []  # without grace, parent+1 would be due on the 22nd
    assert [s.stage for s in after_grace] == ["parent+1"]
    assert [s.stage for s in on_the_day] == ["unit+0"]  # reminders still count from the due day
