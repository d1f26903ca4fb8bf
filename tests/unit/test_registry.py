"""The unit registry as shipped by the vietnam-provinces package, and its lookups."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from shared.catalog import Level
from shared.registry import CENTRAL_CODE, Registry, Unit
from shared.registry.seed import TWO_LEVEL_START, units_from_package

ON = date(2026, 3, 10)


@pytest.fixture(scope="module")
def units() -> list[Unit]:
    return units_from_package()


@pytest.fixture(scope="module")
def registry(units: list[Unit]) -> Registry:
    return Registry(units)


def test_the_package_gives_34_provinces_3321_communes_and_central(units: list[Unit]) -> None:
    levels = [unit.level for unit in units]
    assert levels.count(Level.PROVINCE) == 34
    assert levels.count(Level.COMMUNE) == 3321
    assert levels.count(Level.CENTRAL) == 1
    assert len(units) == 3356


def test_unit_codes_are_unique(units: list[Unit], registry: Registry) -> None:
    assert len({unit.code for unit in units}) == len(units)
    assert len(registry) == len(units)


def test_central_is_vn_with_no_parent(registry: Registry) -> None:
    central = registry.get(CENTRAL_CODE)
    assert central is not None
    assert central.code == "VN"
    assert central.level == Level.CENTRAL
    assert central.parent is None
    assert central.province is None


def test_province_codes_are_two_zero_padded_digits(registry: Registry) -> None:
    codes = [unit.code for unit in registry.provinces(ON)]
    assert all(re.fullmatch(r"[0-9]{2}", code) for code in codes)
    assert "01" in codes


def test_commune_codes_are_five_zero_padded_digits(registry: Registry) -> None:
    codes = [unit.code for unit in registry.units(Level.COMMUNE, ON)]
    assert len(codes) == 3321
    assert all(re.fullmatch(r"[0-9]{5}", code) for code in codes)
    assert "00070" in codes


def test_hoan_kiem_is_a_ward_of_ha_noi(registry: Registry) -> None:
    hoan_kiem = registry.get("00070")
    ha_noi = registry.get("01")
    assert hoan_kiem is not None
    assert ha_noi is not None
    assert hoan_kiem.name == "Phường Hoàn Kiếm"
    assert hoan_kiem.level == Level.COMMUNE
    assert hoan_kiem.parent == "01"
    assert hoan_kiem.province == "01"
    assert ha_noi.name == "Thành phố Hà Nội"
    assert ha_noi.parent == CENTRAL_CODE
    assert ha_noi.province == "01"


def test_an_unpadded_code_is_not_found(registry: Registry) -> None:
    assert registry.get("70") is None
    assert registry.get("1") is None


def test_every_name_is_nfc_normalised(units: list[Unit]) -> None:
    assert all(unicodedata.is_normalized("NFC", unit.name) for unit in units)
    assert all(unit.name for unit in units)


def test_every_unit_is_valid_from_the_start_of_two_level_government(units: list[Unit]) -> None:
    assert {unit.valid_from for unit in units} == {TWO_LEVEL_START}
    assert date(2025, 7, 1) == TWO_LEVEL_START
    assert all(unit.valid_to is None for unit in units)


def test_every_commune_belongs_to_one_of_the_provinces(registry: Registry) -> None:
    provinces = {unit.code for unit in registry.provinces(ON)}
    communes = registry.units(Level.COMMUNE, ON)
    assert {commune.parent for commune in communes} == provinces


def test_the_provinces_children_partition_the_communes(registry: Registry) -> None:
    total = sum(len(registry.children(p.code, ON)) for p in registry.provinces(ON))
    assert total == 3321


def test_centrals_children_are_the_34_provinces(registry: Registry) -> None:
    children = registry.children(CENTRAL_CODE, ON)
    assert len(children) == 34
    assert {child.level for child in children} == {Level.PROVINCE}


def test_children_are_sorted_by_code_and_include_hoan_kiem(registry: Registry) -> None:
    codes = [child.code for child in registry.children("01", ON)]
    assert codes == sorted(codes)
    assert "00070" in codes


def test_a_commune_has_no_children(registry: Registry) -> None:
    assert registry.children("00070", ON) == []


def test_nothing_is_active_before_the_two_level_government_started(registry: Registry) -> None:
    assert registry.provinces(date(2025, 6, 30)) == []
    assert registry.children("01", date(2025, 6, 30)) == []


def test_a_province_expects_itself_and_all_its_communes(registry: Registry) -> None:
    expected = registry.expected_in_province("01", [Level.COMMUNE, Level.PROVINCE], ON)
    communes = registry.children("01", ON)
    assert expected[0].code == "01"
    assert expected[1:] == communes
    assert len(expected) == len(communes) + 1


def test_a_province_level_only_report_expects_just_the_province(registry: Registry) -> None:
    expected = registry.expected_in_province("01", [Level.PROVINCE], ON)
    assert [unit.code for unit in expected] == ["01"]


def test_a_commune_level_only_report_expects_just_the_communes(registry: Registry) -> None:
    expected = registry.expected_in_province("01", [Level.COMMUNE], ON)
    assert expected == registry.children("01", ON)
    assert all(unit.level == Level.COMMUNE for unit in expected)


def test_an_unknown_province_expects_nobody(registry: Registry) -> None:
    assert registry.expected_in_province("99", [Level.COMMUNE, Level.PROVINCE], ON) == []


def _closed(valid_to: date, successor: str | None = "00070") -> Unit:
    return Unit(
        code="99990",
        name="Phường Cũ",
        level=Level.COMMUNE,
        kind="phuong",
        parent="01",
        valid_from=TWO_LEVEL_START,
        valid_to=valid_to,
        successor=successor,
    )


def test_a_closed_unit_is_active_until_the_day_before_valid_to() -> None:
    unit = _closed(date(2026, 1, 1))
    assert unit.is_active_on(TWO_LEVEL_START)
    assert unit.is_active_on(date(2025, 12, 31))
    assert not unit.is_active_on(date(2026, 1, 1))
    assert not unit.is_active_on(date(2026, 3, 10))


def test_a_unit_is_not_active_before_valid_from() -> None:
    assert not _closed(date(2026, 1, 1)).is_active_on(date(2025, 6, 30))


def test_a_closed_commune_is_no_longer_expected_but_can_still_be_looked_up(
    units: list[Unit],
) -> None:
    closed = _closed(date(2026, 1, 1))
    registry = Registry([*units, closed])
    assert registry.get("99990") == closed
    assert closed not in registry.children("01", ON)
    assert closed in registry.children("01", date(2025, 12, 31))
    assert closed not in registry.expected_in_province("01", [Level.COMMUNE], ON)
