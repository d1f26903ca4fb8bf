"""The national map's tile grid: exactly the registry's 34 provinces, one cell each, placed north
to south as on the ground."""

from __future__ import annotations

from services.web.domain.tiles import COLUMNS, ROWS, TILES, short_name
from shared.registry.seed import units_from_package


def test_the_grid_holds_exactly_the_provinces_of_the_registry() -> None:
    provinces = {u.code for u in units_from_package() if u.level.value == "province"}
    assert len(provinces) == 34
    assert set(TILES) == provinces


def test_no_two_provinces_share_a_cell_and_every_cell_is_on_the_grid() -> None:
    cells = list(TILES.values())
    assert len(set(cells)) == len(cells)
    assert all(0 <= row < ROWS and 0 <= column < COLUMNS for row, column in cells)
    assert {row for row, _ in cells} == set(range(ROWS)), "no empty row in the middle"


def test_provinces_run_from_the_northern_border_to_ca_mau() -> None:
    row = {code: TILES[code][0] for code in TILES}
    north_to_south = ["04", "20", "01", "38", "40", "46", "48", "52", "68", "79", "92", "96"]
    assert [row[c] for c in north_to_south] == sorted(row[c] for c in north_to_south)
    assert row["12"] == 0
    assert row["04"] == 0
    assert row["96"] == ROWS - 1  # Cà Mau the southern tip


def test_west_to_east_where_provinces_share_a_row() -> None:
    column = {code: TILES[code][1] for code in TILES}
    assert column["11"] < column["14"] < column["25"] < column["19"] < column["20"]
    assert column["01"] < column["24"] < column["22"]  # Hà Nội, Bắc Ninh, Quảng Ninh
    assert column["91"] < column["82"] < column["79"]  # An Giang, Đồng Tháp, TP HCM


def test_a_tile_shows_a_short_name() -> None:
    assert short_name("01", "Thành phố Hà Nội") == "Hà Nội"
    assert short_name("79", "Thành phố Hồ Chí Minh") == "TP HCM"
    assert short_name("96", "Cà Mau") == "Cà Mau"
