"""System time: the identity clock, scheduled (simulated) clocks and fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.clock import Clock, ClockSegment, FixedClock, ScheduledClock, SystemClock

REAL_START = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
SYSTEM_START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


def test_the_system_clock_reads_the_wall_clock_in_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert before <= now <= after
    assert now.utcoffset() == timedelta(0)


def test_the_system_clock_maps_a_real_instant_to_itself() -> None:
    assert SystemClock().at(REAL_START) == REAL_START


def test_a_scheduled_clock_without_segments_is_the_identity() -> None:
    clock = ScheduledClock()
    assert clock.at(REAL_START) == REAL_START
    assert clock.segments == []


def test_a_scheduled_clock_is_the_identity_before_its_first_segment() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START)])
    earlier = REAL_START - timedelta(seconds=1)
    assert clock.at(earlier) == earlier


def test_a_segment_maps_its_own_start_to_its_system_start() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START)])
    assert clock.at(REAL_START) == SYSTEM_START


def test_a_speed_one_segment_runs_at_real_pace_from_its_system_start() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START)])
    assert clock.at(REAL_START + timedelta(minutes=5)) == SYSTEM_START + timedelta(minutes=5)


def test_a_fast_segment_multiplies_elapsed_real_time_by_its_speed() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START, speed=3600)])
    assert clock.at(REAL_START + timedelta(seconds=2)) == SYSTEM_START + timedelta(hours=2)


def test_a_speed_zero_segment_freezes_system_time() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START, speed=0)])
    assert clock.at(REAL_START + timedelta(seconds=1)) == SYSTEM_START
    assert clock.at(REAL_START + timedelta(days=30)) == SYSTEM_START


def test_a_frozen_clock_reports_its_frozen_instant_as_now() -> None:
    clock = ScheduledClock([ClockSegment(datetime.now(UTC) - timedelta(hours=1), SYSTEM_START, 0)])
    assert clock.now() == SYSTEM_START


def test_a_real_instant_before_a_jump_keeps_the_time_it_had_before_the_jump() -> None:
    stored = REAL_START + timedelta(minutes=10)
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START)])
    before_jump = clock.at(stored)

    jump_real = REAL_START + timedelta(minutes=20)
    jump_to = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
    clock.replace([*clock.segments, ClockSegment(jump_real, jump_to)])

    assert clock.at(stored) == before_jump == SYSTEM_START + timedelta(minutes=10)
    assert clock.at(jump_real) == jump_to
    assert clock.at(jump_real + timedelta(minutes=1)) == jump_to + timedelta(minutes=1)


def test_the_segment_in_force_is_the_last_one_started_at_that_real_instant() -> None:
    first = ClockSegment(REAL_START, SYSTEM_START)
    second = ClockSegment(REAL_START + timedelta(hours=1), SYSTEM_START + timedelta(days=5), 0)
    third = ClockSegment(REAL_START + timedelta(hours=2), SYSTEM_START + timedelta(days=10))
    clock = ScheduledClock([third, first, second])
    assert clock.at(REAL_START + timedelta(minutes=59)) == SYSTEM_START + timedelta(minutes=59)
    assert clock.at(REAL_START + timedelta(minutes=90)) == SYSTEM_START + timedelta(days=5)
    assert clock.at(REAL_START + timedelta(hours=3)) == SYSTEM_START + timedelta(days=10, hours=1)


def test_segments_are_kept_in_real_time_order() -> None:
    late = ClockSegment(REAL_START + timedelta(hours=1), SYSTEM_START)
    early = ClockSegment(REAL_START, SYSTEM_START)
    assert ScheduledClock([late, early]).segments == [early, late]


def test_changing_the_returned_segment_list_does_not_change_the_clock() -> None:
    clock = ScheduledClock([ClockSegment(REAL_START, SYSTEM_START)])
    clock.segments.clear()
    assert clock.at(REAL_START) == SYSTEM_START


def test_a_fixed_clock_stands_still() -> None:
    clock = FixedClock(SYSTEM_START)
    assert clock.now() == SYSTEM_START
    assert clock.at(REAL_START) == SYSTEM_START
    assert clock.at(REAL_START + timedelta(days=400)) == SYSTEM_START


def test_every_clock_satisfies_the_clock_protocol() -> None:
    clocks: list[Clock] = [SystemClock(), ScheduledClock(), FixedClock(SYSTEM_START)]
    assert all(isinstance(clock.now(), datetime) for clock in clocks)
