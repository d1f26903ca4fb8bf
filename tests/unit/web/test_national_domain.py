"""The national overview's view models: completeness bands, tiles, targets with the provinces
missing them, late provinces and the trend's bars."""

from __future__ import annotations

import pytest

from services.web.domain import national
from services.web.domain.tiles import COLUMNS, ROWS

from .test_national_fakes import PROVINCES, FakeServices, completeness, province


@pytest.mark.parametrize(
    ("expected", "on_time", "late", "band"),
    [
        (100, 95, 0, "complete"),
        (100, 90, 5, "complete"),
        (100, 94, 0, "partial"),
        (100, 50, 0, "partial"),
        (100, 49, 0, "low"),
        (100, 0, 0, "none"),
        (0, 0, 0, "none"),
    ],
)
def test_a_completeness_band(expected: int, on_time: int, late: int, band: str) -> None:
    figures = national.Completeness.of({"completeness": completeness(expected, on_time, late)})
    assert figures.band == band


def test_the_on_time_rate_is_over_reports_expected_as_in_dhis2() -> None:
    figures = national.Completeness.of({"completeness": completeness(200, 50, 30)})
    assert figures.on_time_pct == 25.0
    assert national.Completeness.of({"completeness": completeness(0, 0)}).on_time_pct is None


def test_tiles_are_placed_by_the_grid_in_reading_order() -> None:
    tiles = national.tiles(FakeServices().children())
    assert len(tiles) == 34
    assert [(t.row, t.column) for t in tiles] == sorted((t.row, t.column) for t in tiles)
    hcm = next(t for t in tiles if t.code == "79")
    assert (hcm.short, hcm.band, hcm.completeness.late) == ("TP HCM", "complete", 2)
    assert hcm.spoken_name == "TP HCM, Thành phố Hồ Chí Minh"
    assert next(t for t in tiles if t.code == "01").spoken_name == "Thành phố Hà Nội"


def test_a_province_the_grid_does_not_know_goes_under_the_map_not_away() -> None:
    tiles = national.tiles([province("01", "Thành phố Hà Nội"), province("99", "Tỉnh Mới")])
    new = next(t for t in tiles if t.code == "99")
    assert (new.row, new.column, new.short) == (ROWS, 0, "Mới")
    assert COLUMNS == 6


def test_each_target_lists_the_provinces_whose_total_misses_it() -> None:
    fake = FakeServices(reported={"01": (5, 0), "79": (97, 2), "48": (10, 7)})
    titles = {"in_person_share_pct": "Tỷ lệ hội nghị trực tiếp (%)"}
    targets = national.targets(fake.national("t", "p"), fake.children(), titles)
    assert [t.code for t in targets] == ["docs_reduction_pct", "in_person_share_pct"]
    in_person = targets[1]
    assert (in_person.title, in_person.rule, in_person.value, in_person.met) == (
        "Tỷ lệ hội nghị trực tiếp (%)",
        "<= 40",
        41.0,
        False,
    )
    assert in_person.units_missed == 9
    assert (in_person.rule_text, targets[0].rule_text) == ("≤ 40", "≥ 15")
    assert [(m.code, m.value, m.units_missed) for m in in_person.provinces_missing] == [
        ("48", 55.5, 7),
        ("79", 55.5, 2),
    ]
    assert targets[0].provinces_missing == []
    assert targets[0].title == "docs_reduction_pct"  # no title: its code


def test_a_province_without_figures_is_not_counted_as_missing_a_target() -> None:
    fake = FakeServices(reported={})
    targets = national.targets(fake.national("t", "p"), fake.children(), {})
    assert all(t.provinces_missing == [] for t in targets)


def test_late_provinces_least_complete_first_with_their_own_report() -> None:
    fake = FakeServices(reported={"01": (5, 0), "79": (98, 2)})
    children = fake.children()
    found = national.lateness(children, fake.late_units())
    assert len(found.provinces) == 34
    assert found.provinces[-1].code == "79"
    assert found.provinces[-2].code == "01"
    hcm = found.provinces[-1]
    assert (hcm.own_status, hcm.completeness.late) == (None, 2)
    assert found.provinces[0].own_status == "missing"
    assert found.province_deadline == "2026-12-25T23:59:59+07:00"
    assert found.commune_deadline == "2026-12-17T23:59:59+07:00"


def test_a_province_complete_and_on_time_is_not_late() -> None:
    children = [province("01", "Hà Nội", 100, 0), province("79", "TP HCM", 99, 0)]
    found = national.lateness(children, [])
    assert [p.code for p in found.provinces] == ["79"]
    assert found.province_deadline is None


@pytest.mark.parametrize(
    ("pct", "css"),
    [
        (None, "w-0"),
        (0, "w-0"),
        (2.4, "w-0"),
        (2.5, "w-5"),
        (47.6, "w-50"),
        (100, "w-100"),
        (130, "w-100"),
        (-3, "w-0"),
    ],
)
def test_a_bar_width_is_a_class_in_steps_of_five(pct: float | None, css: str) -> None:
    assert national.bar_class(pct) == css


def test_a_trend_row_without_figures_has_empty_bars() -> None:
    gap = national.TrendRow("2025-Q2", None)
    assert (gap.rate_bar, gap.on_time_bar) == ("w-0", "w-0")
    row = national.TrendRow(
        "2026-Q4", national.Completeness.of({"completeness": completeness(10, 6, 2)})
    )
    assert (row.rate_bar, row.on_time_bar) == ("w-80", "w-60")
    assert len(PROVINCES) == 34
