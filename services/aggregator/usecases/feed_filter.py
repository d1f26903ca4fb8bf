"""What a live-feed client may ask for: a report type, a period and a province (or VN), each
checked before its consumer is opened, so a bad filter is refused rather than never matching."""

from __future__ import annotations

from dataclasses import dataclass

from shared import subjects
from shared.catalog import Catalog, Level, ReportType
from shared.periods import InvalidPeriod, Period
from shared.refusals import NotFound
from shared.registry import CENTRAL_CODE, Registry

ANY = "*"


@dataclass(frozen=True)
class FeedFilter:
    """A checked filter; None is any."""

    report_type: str | None = None
    period: str | None = None
    unit: str | None = None

    @property
    def subject(self) -> str:
        """The ROLLUPS subject filter: each part was checked to be one subject token."""
        return subjects.rollups_updated(
            self.report_type or ANY, self.period or ANY, self.unit or ANY
        )


def feed_filter(
    catalog: Catalog,
    registry: Registry,
    report_type: str | None,
    period: str | None,
    unit: str | None,
) -> FeedFilter:
    """The filter asked for, or NotFound: a report type of the catalog, a period (of that
    type's periodicity, if one is given), and a province or VN (the feed carries no commune)."""
    known = None
    if report_type is not None:
        known = catalog.get(report_type)
        if known is None:
            raise NotFound("unknown_report_type", f"no report type {report_type!r}")
    if period is not None:
        _check_period(period, known)
    if unit is not None and unit != CENTRAL_CODE:
        found = registry.get(unit)
        if found is None or found.level != Level.PROVINCE:
            raise NotFound(
                "unknown_province", f"the feed carries provinces and VN; {unit!r} is neither"
            )
    return FeedFilter(report_type, period, unit)


def _check_period(period: str, report_type: ReportType | None) -> None:
    try:
        parsed = Period.parse(period)
    except InvalidPeriod as error:
        raise NotFound("invalid_period", str(error)) from error
    if report_type is not None and parsed.periodicity != report_type.periodicity:
        raise NotFound("invalid_period", f"{period} is not a {report_type.periodicity} period")
