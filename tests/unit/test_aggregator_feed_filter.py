"""What a live-feed client may filter on, and the subject its consumer is opened with."""

from __future__ import annotations

import pytest

from services.aggregator.usecases.feed_filter import feed_filter
from shared.catalog import Catalog
from shared.refusals import Kind, NotFound
from shared.registry import Registry
from shared.registry.seed import units_from_package

CATALOG = Catalog.load()
REGISTRY = Registry(units_from_package())
KL226, LG2 = "kl226-quarterly", "lg2-monthly"
HA_NOI, HOAN_KIEM = "01", "00070"


def subject(report_type: str | None, period: str | None, unit: str | None) -> str:
    return feed_filter(CATALOG, REGISTRY, report_type, period, unit).subject


def test_no_filter_follows_every_rollup() -> None:
    assert subject(None, None, None) == "rollups.updated.*.*.*"


@pytest.mark.parametrize(
    ("report_type", "period", "unit", "expected"),
    [
        (KL226, "2026-Q4", HA_NOI, f"rollups.updated.{KL226}.2026-Q4.{HA_NOI}"),
        (KL226, "2026-Q4", "VN", f"rollups.updated.{KL226}.2026-Q4.VN"),
        (None, "2026-03", None, "rollups.updated.*.2026-03.*"),  # any type: any periodicity
        (LG2, None, HA_NOI, f"rollups.updated.{LG2}.*.{HA_NOI}"),
    ],
)
def test_each_part_given_narrows_the_subject_and_an_absent_one_matches_any(
    report_type: str | None, period: str | None, unit: str | None, expected: str
) -> None:
    assert subject(report_type, period, unit) == expected


@pytest.mark.parametrize(
    ("report_type", "period", "unit", "reason"),
    [
        ("nope", None, None, "unknown_report_type"),
        ("", None, None, "unknown_report_type"),
        (None, "2026-13", None, "invalid_period"),
        (None, "*", None, "invalid_period"),  # a wildcard cannot be smuggled in as a token
        (KL226, "2026-03", None, "invalid_period"),  # a month of a quarterly report
        (KL226, "2026", None, "invalid_period"),  # updates are of reporting periods only
        (None, None, HOAN_KIEM, "unknown_province"),  # the feed carries no commune
        (None, None, "99", "unknown_province"),
        (None, None, ">", "unknown_province"),
    ],
)
def test_a_filter_that_could_never_match_is_refused_as_not_found(
    report_type: str | None, period: str | None, unit: str | None, reason: str
) -> None:
    with pytest.raises(NotFound) as refused:
        feed_filter(CATALOG, REGISTRY, report_type, period, unit)

    assert refused.value.reason == reason
    assert refused.value.kind == Kind.NOT_FOUND
