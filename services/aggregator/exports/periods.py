"""Periods as the exchange formats write them, and the reporting periods a total spans."""

from __future__ import annotations

import calendar
from datetime import date

from shared.catalog import ReportType
from shared.periods import Period


def reporting_periods(report_type: ReportType, period: Period) -> list[Period]:
    """The periods units report for that make up ``period``: itself, or the quarters of a
    year when a quarterly type is totalled over the year."""
    months = Period.containing(first_day(period), report_type.periodicity).months
    if period.months <= months or period.months % months:
        return [period]
    return [
        Period(period.year, period.first_month + offset, months)
        for offset in range(0, period.months, months)
    ]


def dhis2_period(period: Period) -> str:
    """DHIS2's ISO-like period identifiers: 202601, 2026Q1, 2026S1, 2026."""
    if period.months == 1:
        return f"{period.year}{period.first_month:02d}"
    if period.months == 3:
        return f"{period.year}Q{(period.first_month - 1) // 3 + 1}"
    if period.months == 6:
        return f"{period.year}S{(period.first_month - 1) // 6 + 1}"
    return str(period.year)


def sdmx_period(period: Period) -> str:
    """SDMX reporting periods: 2026-01, 2026-Q1, 2026-S1 (a semester, our H1), 2026."""
    if period.months == 6:
        return f"{period.year}-S{(period.first_month - 1) // 6 + 1}"
    return period.label


def first_day(period: Period) -> date:
    return date(period.year, period.first_month, 1)


def last_day(period: Period) -> date:
    year, month = period.last_month
    return date(year, month, calendar.monthrange(year, month)[1])
