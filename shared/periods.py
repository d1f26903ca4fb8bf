"""Reporting periods and their data cut-off windows (Decree 09/2019/NĐ-CP, article 12).

Labels: ``2026-03`` (month), ``2026-Q1`` (quarter), ``2026-H1`` (half-year), ``2026`` (year).
The cut-off window of a period runs from the 15th of the month before it starts to the 14th of
its last month; for example 2026-Q1 covers 15 Dec 2025 to 14 Mar 2026.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_LABEL = re.compile(
    r"(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{2})|Q(?P<quarter>[1-4])|H(?P<half>[12])))?"
)
_MIN_YEAR, _MAX_YEAR = 2000, 2100


class Periodicity(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


_MONTHS_IN = {
    Periodicity.MONTHLY: 1,
    Periodicity.QUARTERLY: 3,
    Periodicity.HALF_YEARLY: 6,
    Periodicity.YEARLY: 12,
}


class InvalidPeriod(ValueError):
    """The label is not one of the four accepted forms."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: ``first_month`` (1-12) of ``year`` spanning ``months`` months."""

    year: int
    first_month: int
    months: int

    @classmethod
    def parse(cls, label: str) -> Period:
        match = _LABEL.fullmatch(label)
        if match is None:
            raise InvalidPeriod(f"not a period label: {label!r}")
        year = int(match["year"])
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise InvalidPeriod(f"year out of range: {label!r}")
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise InvalidPeriod(f"month out of range: {label!r}")
            return cls(year, month, 1)
        if match["quarter"]:
            return cls(year, 3 * (int(match["quarter"]) - 1) + 1, 3)
        if match["half"]:
            return cls(year, 6 * (int(match["half"]) - 1) + 1, 6)
        return cls(year, 1, 12)

    @classmethod
    def containing(cls, day: date, periodicity: Periodicity) -> Period:
        """The calendar period of ``periodicity`` that ``day`` falls in."""
        months = _MONTHS_IN[periodicity]
        first = (day.month - 1) // months * months + 1
        return cls(day.year, first, months)

    @property
    def periodicity(self) -> Periodicity:
        return next(p for p, n in _MONTHS_IN.items() if n == self.months)

    @property
    def label(self) -> str:
        if self.months == 1:
            return f"{self.year}-{self.first_month:02d}"
        if self.months == 3:
            return f"{self.year}-Q{(self.first_month - 1) // 3 + 1}"
        if self.months == 6:
            return f"{self.year}-H{(self.first_month - 1) // 6 + 1}"
        return str(self.year)

    @property
    def last_month(self) -> tuple[int, int]:
        """(year, month) of the period's last calendar month."""
        return self.year, self.first_month + self.months - 1

    @property
    def cutoff_start(self) -> date:
        """First day of the data cut-off window: the 15th of the month before the period."""
        year, month = (
            (self.year - 1, 12) if self.first_month == 1 else (self.year, self.first_month - 1)
        )
        return date(year, month, 15)

    @property
    def cutoff_end(self) -> date:
        """Last day of the data cut-off window: the 14th of the period's last month."""
        year, month = self.last_month
        return date(year, month, 14)

    def opens_at(self) -> datetime:
        """The instant reports for this period may start arriving (start of the cut-off window)."""
        return datetime.combine(self.cutoff_start, time.min, VIETNAM)

    def day_of_last_month(self, day: int) -> date:
        year, month = self.last_month
        return date(year, month, day)

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods later (earlier when negative)."""
        index = self.year * 12 + self.first_month - 1 + steps * self.months
        return Period(index // 12, index % 12 + 1, self.months)

    def split(self, periodicity: Periodicity) -> list[Period]:
        """The periods of ``periodicity`` that make up this one, in order: a year's quarters.

        Raises InvalidPeriod if they do not fit (a quarter has no half-years)."""
        months = _MONTHS_IN[periodicity]
        if months > self.months or self.months % months or (self.first_month - 1) % months:
            raise InvalidPeriod(f"{self.label} is not made of {periodicity} periods")
        return [
            Period(self.year, month, months)
            for month in range(self.first_month, self.first_month + self.months, months)
        ]

    def __str__(self) -> str:
        return self.label


def end_of_day(day: date) -> datetime:
    """23:59:59 of ``day`` in Vietnam, the conventional end of a deadline day."""
    return datetime.combine(day, time(23, 59, 59), VIETNAM)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, VIETNAM)


ONE_DAY = timedelta(days=1)
