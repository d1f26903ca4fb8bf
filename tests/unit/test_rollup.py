"""Rollup arithmetic: unit reports to province and national figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.aggregator.domain.figures import derived_values, indicator_values, parse_values
from services.aggregator.domain.rollup import (
    Completeness,
    Rollup,
    UnitReport,
    combine,
    roll_up,
)
from services.aggregator.domain.tally import Tally
from shared.catalog import Catalog, ReportType
from shared.schemas import IndicatorValue


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def kl226(catalog: Catalog) -> ReportType:
    report_type = catalog.get("kl226-quarterly")
    assert report_type is not None
    return report_type


@pytest.fixture(scope="module")
def lg2(catalog: Catalog) -> ReportType:
    report_type = catalog.get("lg2-monthly")
    assert report_type is not None
    return report_type


def kl226_values(**changes: IndicatorValue) -> dict[str, IndicatorValue]:
    values: dict[str, IndicatorValue] = {
        "docs_issued": 80,
        "docs_issued_prev_year": 100,
        "conferences_total": 10,
        "conferences_in_person": 3,
        "conferences_online": 7,
        "conferences_over_duration": 1,
        "procedures_total": 200,
        "procedures_online": 195,
        "reports_total": 12,
        "reports_over_network": 12,
        "conference_budget_planned": Decimal("150.5"),
        "conference_budget_spent": Decimal("120.25"),
    }
    values.update(changes)
    return values


def test_roll_up_sums_each_indicator_and_counts_the_reporters() -> None:
    rollup = roll_up(
        [
            UnitReport("00070", "on_time", {"docs_issued": 80, "budget": Decimal("1.5")}),
            UnitReport("00073", "late", {"docs_issued": 20, "budget": Decimal("2.25")}),
        ],
        expected=5,
    )
    assert rollup.tally.sums == {"docs_issued": 100, "budget": Decimal("3.75")}
    assert rollup.tally.counts == {"docs_issued": 2, "budget": 2}


def test_roll_up_counts_submitted_on_time_late_and_missing() -> None:
    rollup = roll_up(
        [
            UnitReport("00070", "on_time", {}),
            UnitReport("00073", "late", {}),
            UnitReport("00076", "on_time", {}),
        ],
        expected=5,
    )
    assert rollup.completeness == Completeness(expected=5, submitted=3, on_time=2, late=1)
    assert rollup.completeness.missing == 2
    assert rollup.completeness.rate_pct == 60.0


def test_a_rollup_of_nothing_is_empty_with_everyone_missing() -> None:
    rollup = roll_up([], expected=4)
    assert rollup.tally.sums == {}
    assert rollup.completeness.missing == 4
    assert rollup.completeness.rate_pct == 0.0


def test_the_rate_is_unknown_when_nobody_is_expected() -> None:
    assert Completeness().rate_pct is None


def test_the_rate_is_rounded_to_two_places() -> None:
    assert Completeness(expected=3, submitted=1).rate_pct == 33.33


def test_missing_is_never_negative() -> None:
    assert Completeness(expected=1, submitted=2).missing == 0


def test_completeness_adds_field_by_field() -> None:
    total = Completeness(3, 2, 1, 1) + Completeness(5, 4, 4, 0)
    assert total == Completeness(8, 6, 5, 1)


def test_combine_adds_sums_counts_and_completeness() -> None:
    ha_noi = roll_up([UnitReport("00070", "on_time", {"docs_issued": 80})], expected=2)
    hue = roll_up(
        [
            UnitReport("19753", "late", {"docs_issued": 5}),
            UnitReport("19756", "on_time", {"docs_issued": 15, "reports_total": 3}),
        ],
        expected=3,
    )
    national = combine([ha_noi, hue])
    assert national.tally.sums == {"docs_issued": 100, "reports_total": 3}
    assert national.tally.counts == {"docs_issued": 3, "reports_total": 1}
    assert national.completeness == Completeness(expected=5, submitted=3, on_time=2, late=1)


def test_combine_leaves_its_inputs_unchanged() -> None:
    province = roll_up([UnitReport("00070", "on_time", {"docs_issued": 80})], expected=1)
    combine([province, province])
    assert province.tally.sums == {"docs_issued": 80}
    assert province.tally.counts == {"docs_issued": 1}


def test_combining_nothing_gives_an_empty_rollup() -> None:
    assert combine([]) == Rollup(Tally(), Completeness())


def test_indicator_values_sum_summed_indicators(kl226: ReportType) -> None:
    tally = Tally()
    tally.add(kl226_values())
    tally.add(kl226_values(docs_issued=20, conference_budget_spent=Decimal("0.75")))
    values = indicator_values(kl226, tally)
    assert values["docs_issued"] == 100
    assert values["conference_budget_spent"] == Decimal("121.00")
    assert values["conference_budget_planned"] == Decimal("301.0")


def test_an_indicator_nobody_reported_stays_none_not_zero(kl226: ReportType) -> None:
    tally = Tally()
    tally.add({"docs_issued": 80})
    values = indicator_values(kl226, tally)
    assert values["docs_issued"] == 80
    assert values["docs_issued_prev_year"] is None
    assert set(values) == {i.code for i in kl226.indicators}


def test_the_documents_reduction_is_computed_and_meets_the_15_percent_target(
    kl226: ReportType,
) -> None:
    derived = derived_values(kl226, kl226_values(docs_issued=80, docs_issued_prev_year=100))
    entry = derived["docs_reduction_pct"]
    assert entry["value"] == Decimal(20)
    assert entry["target"] == ">= 15"
    assert entry["met"] is True


def test_a_documents_reduction_below_15_percent_misses_the_target(kl226: ReportType) -> None:
    derived = derived_values(kl226, kl226_values(docs_issued=90, docs_issued_prev_year=100))
    assert derived["docs_reduction_pct"]["value"] == Decimal(10)
    assert derived["docs_reduction_pct"]["met"] is False


def test_exactly_15_percent_meets_the_target(kl226: ReportType) -> None:
    derived = derived_values(kl226, kl226_values(docs_issued=85, docs_issued_prev_year=100))
    assert derived["docs_reduction_pct"]["met"] is True


def test_every_kl226_target_is_judged(kl226: ReportType) -> None:
    derived = derived_values(kl226, kl226_values())
    assert {code: entry["met"] for code, entry in derived.items()} == {
        "docs_reduction_pct": True,
        "in_person_share_pct": True,
        "procedures_online_pct": True,
        "reports_over_network_pct": True,
        "budget_overrun": True,
    }
    assert derived["in_person_share_pct"]["value"] == Decimal(30)
    assert derived["procedures_online_pct"]["value"] == Decimal("97.5")
    assert derived["reports_over_network_pct"]["value"] == Decimal(100)
    assert derived["budget_overrun"]["value"] == Decimal("-30.25")


def test_a_budget_overrun_misses_its_target(kl226: ReportType) -> None:
    derived = derived_values(kl226, kl226_values(conference_budget_spent=Decimal("151")))
    assert derived["budget_overrun"]["value"] == Decimal("0.5")
    assert derived["budget_overrun"]["met"] is False


def test_a_derived_value_over_missing_data_is_none_and_its_target_unjudged(
    kl226: ReportType,
) -> None:
    values = indicator_values(kl226, Tally())
    derived = derived_values(kl226, values)
    assert all(entry["value"] is None for entry in derived.values())
    assert all(entry["met"] is None for entry in derived.values())


def test_a_derived_value_dividing_by_zero_is_none(kl226: ReportType) -> None:
    derived = derived_values(kl226, kl226_values(docs_issued=0, docs_issued_prev_year=0))
    assert derived["docs_reduction_pct"]["value"] is None
    assert derived["docs_reduction_pct"]["met"] is None
    assert derived["docs_reduction_pct"]["target"] == ">= 15"


def test_a_derived_value_without_a_target_has_no_met_flag(lg2: ReportType) -> None:
    derived = derived_values(lg2, {"staff_in_post": 9, "staff_positions": 10})
    assert derived["staffing_pct"] == {"value": Decimal(90)}


def test_stored_values_parse_back_to_ints_and_decimals(kl226: ReportType) -> None:
    parsed = parse_values(
        kl226, {"docs_issued": 80, "conference_budget_spent": "120.25", "not_an_indicator": 1}
    )
    assert parsed == {"docs_issued": 80, "conference_budget_spent": Decimal("120.25")}
    assert type(parsed["docs_issued"]) is int
    assert isinstance(parsed["conference_budget_spent"], Decimal)
