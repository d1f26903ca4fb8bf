"""Working days in Vietnam: Monday to Friday, less public holidays (Tết included).

The holidays come from the ``holidays`` package's calendar for Vietnam, which follows the Labour
Code (Tết: the last day of the old year and the first four or five of the new, by the lunar
calendar). Days the government moves by decision each year are not in it.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays

SATURDAY = 5


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY and day not in _holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself does not count)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def shift_working_days(day: date, count: int) -> date:
    """``count`` working days after ``day`` (before it when negative); 0 is ``day`` itself."""
    if count >= 0:
        return add_working_days(day, count)
    current, remaining = day, -count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count
