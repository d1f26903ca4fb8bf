"""Period labels and the Decree 09 cut-off windows."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from shared.periods import (
    VIETNAM,
    InvalidPeriod,
    Period,
    Periodicity,
    end_of_day,
    start_of_day,
)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026-03", Period(2026, 3, 1)),
        ("2026-12", Period(2026, 12, 1)),
        ("2026-Q1", Period(2026, 1, 3)),
        ("2026-Q4", Period(2026, 10, 3)),
        ("2026-H1", Period(2026, 1, 6)),
        ("2026-H2", Period(2026, 7, 6)),
        ("2026", Period(2026, 1, 12)),
        ("2000", Period(2000, 1, 12)),
        ("2100-Q2", Period(2100, 4, 3)),
    ],
)
def test_each_accepted_label_form_parses_to_its_calendar_period(
    label: str, expected: Period
) -> None:
    assert Period.parse(label) == expected


@pytest.mark.parametrize(
    ("label", "periodicity"),
    [
        ("2026-03", Periodicity.MONTHLY),
        ("2026-Q1", Periodicity.QUARTERLY),
        ("2026-H2", Periodicity.HALF_YEARLY),
        ("2026", Periodicity.YEARLY),
    ],
)
def test_a_parsed_period_knows_its_periodicity(label: str, periodicity: Periodicity) -> None:
    assert Period.parse(label).periodicity == periodicity


@pytest.mark.parametrize(
    "label",
    [
        "",
        "2026-13",
        "2026-00",
        "2026-3",
        "2026-Q0",
        "2026-Q5",
        "2026-q1",
        "2026-H0",
        "2026-H3",
        "26-03",
        "1999",
        "2101",
        "2026-03-01",
        " 2026-Q1",
        "2026-Q1 ",
        "2026/03",
        "Q1-2026",
    ],
)
def test_a_label_outside_the_four_forms_is_refused(label: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(label)


def test_a_label_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse("2026-03\n")


@pytest.mark.parametrize("label", ["٢٠٢٦-Q1", "２０２６", "2026-０３"])
def test_a_label_written_with_non_ascii_digits_is_refused(label: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(label)


def test_invalid_period_is_a_value_error() -> None:
    assert issubclass(InvalidPeriod, ValueError)


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026-Q2", date(2026, 3, 15), date(2026, 6, 14)),
        ("2026-Q4", date(2026, 9, 15), date(2026, 12, 14)),
        ("2026-03", date(2026, 2, 15), date(2026, 3, 14)),
        ("2026-01", date(2025, 12, 15), date(2026, 1, 14)),
        ("2026-12", date(2026, 11, 15), date(2026, 12, 14)),
        ("2026-H1", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026-H2", date(2026, 6, 15), date(2026, 12, 14)),
        ("2026", date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_the_cutoff_window_runs_from_the_15th_before_to_the_14th_of_the_last_month(
    label: str, start: date, end: date
) -> None:
    period = Period.parse(label)
    assert (period.cutoff_start, period.cutoff_end) == (start, end)


def test_consecutive_quarters_have_adjacent_cutoff_windows() -> None:
    quarter = Period.parse("2026-Q1")
    following = quarter.shifted(1)
    assert (following.cutoff_start - quarter.cutoff_end).days == 1


def test_a_period_opens_at_midnight_vietnam_time_on_its_cutoff_start() -> None:
    opens = Period.parse("2026-Q1").opens_at()
    assert opens == datetime(2025, 12, 15, 0, 0, tzinfo=VIETNAM)
    assert opens.utcoffset() is not None
    assert opens.isoformat() == "2025-12-15T00:00:00+07:00"


def test_the_last_month_of_a_quarter_is_its_third_month() -> None:
    assert Period.parse("2026-Q3").last_month == (2026, 9)


def test_day_of_last_month_picks_a_day_in_the_periods_last_month() -> None:
    assert Period.parse("2026-Q1").day_of_last_month(17) == date(2026, 3, 17)
    assert Period.parse("2026-H2").day_of_last_month(25) == date(2026, 12, 25)


@pytest.mark.parametrize(
    ("day", "periodicity", "label"),
    [
        (date(2026, 3, 14), Periodicity.MONTHLY, "2026-03"),
        (date(2026, 3, 31), Periodicity.QUARTERLY, "2026-Q1"),
        (date(2026, 4, 1), Periodicity.QUARTERLY, "2026-Q2"),
        (date(2026, 12, 31), Periodicity.QUARTERLY, "2026-Q4"),
        (date(2026, 6, 30), Periodicity.HALF_YEARLY, "2026-H1"),
        (date(2026, 7, 1), Periodicity.HALF_YEARLY, "2026-H2"),
        (date(2026, 1, 1), Periodicity.YEARLY, "2026"),
    ],
)
def test_containing_finds_the_calendar_period_a_day_falls_in(
    day: date, periodicity: Periodicity, label: str
) -> None:
    assert Period.containing(day, periodicity).label == label


@pytest.mark.parametrize(
    ("label", "steps", "expected"),
    [
        ("2026-Q1", -1, "2025-Q4"),
        ("2026-Q4", 1, "2027-Q1"),
        ("2026-Q2", 0, "2026-Q2"),
        ("2026-12", 1, "2027-01"),
        ("2026-01", -1, "2025-12"),
        ("2026-03", 12, "2027-03"),
        ("2026-H2", 1, "2027-H1"),
        ("2026-H1", -1, "2025-H2"),
        ("2026", -1, "2025"),
        ("2026-Q1", 8, "2028-Q1"),
    ],
)
def test_shifted_moves_by_whole_periods(label: str, steps: int, expected: str) -> None:
    assert Period.parse(label).shifted(steps).label == expected


def _all_labels_of(year: int) -> list[str]:
    return (
        [f"{year}-{month:02d}" for month in range(1, 13)]
        + [f"{year}-Q{quarter}" for quarter in range(1, 5)]
        + [f"{year}-H{half}" for half in (1, 2)]
        + [str(year)]
    )


@pytest.mark.parametrize("label", _all_labels_of(2026))
def test_every_label_survives_a_parse_and_print_round_trip(label: str) -> None:
    period = Period.parse(label)
    assert period.label == label
    assert str(period) == label


def test_periods_of_one_periodicity_sort_chronologically() -> None:
    labels = ["2026-Q3", "2025-Q4", "2026-Q1"]
    assert [p.label for p in sorted(map(Period.parse, labels))] == ["2025-Q4", "2026-Q1", "2026-Q3"]


def test_end_of_day_is_one_second_before_midnight_in_vietnam() -> None:
    assert end_of_day(date(2026, 3, 17)) == datetime(2026, 3, 17, 23, 59, 59, tzinfo=VIETNAM)
    assert end_of_day(date(2026, 3, 17)).isoformat() == "2026-03-17T23:59:59+07:00"


def test_start_of_day_is_midnight_in_vietnam() -> None:
    assert start_of_day(date(2026, 3, 17)) == datetime.combine(date(2026, 3, 17), time.min, VIETNAM)


def test_a_year_splits_into_its_quarters_and_a_quarter_into_its_months() -> None:
    assert [p.label for p in Period.parse("2026").split(Periodicity.QUARTERLY)] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert [p.label for p in Period.parse("2026-Q2").split(Periodicity.MONTHLY)] == [
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    assert Period.parse("2026-Q2").split(Periodicity.QUARTERLY) == [Period.parse("2026-Q2")]


def test_a_period_does_not_split_into_longer_or_misaligned_ones() -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse("2026-Q1").split(Periodicity.HALF_YEARLY)
    with pytest.raises(InvalidPeriod):
        Period.parse("2026-Q2").split(Periodicity.HALF_YEARLY)
