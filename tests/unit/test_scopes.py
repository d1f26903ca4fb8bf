"""Who reaches which unit, written once in shared/identity/scopes.py and asked by every service."""

from __future__ import annotations

from datetime import date

import pytest

from shared.catalog import Level
from shared.identity import (
    Caller,
    Forbidden,
    Grant,
    Role,
    oversees,
    reaches_nation,
    require_oversight,
    within_reach,
)
from shared.registry import Unit

HA_NOI = Unit("01", "Thành phố Hà Nội", Level.PROVINCE, "thành phố", "VN", date(2025, 7, 1))
HOAN_KIEM = Unit("00070", "Phường Hoàn Kiếm", Level.COMMUNE, "phường", "01", date(2025, 7, 1))
BA_DINH = Unit("00004", "Phường Ba Đình", Level.COMMUNE, "phường", "01", date(2025, 7, 1))
VUNG_TAU = Unit("26506", "Phường Vũng Tàu", Level.COMMUNE, "phường", "79", date(2025, 7, 1))


def caller(unit: str, *grants: Grant) -> Caller:
    return Caller(
        subject=f"system:{unit}",
        unit=unit,
        roles=frozenset({Role.READER, Role.APPROVER}),
        units=frozenset({unit}),
        grants=frozenset(grants),
    )


@pytest.mark.parametrize(
    ("who", "unit", "reaches"),
    [
        ("VN", HA_NOI, True),
        ("VN", VUNG_TAU, True),
        ("01", HA_NOI, True),
        ("01", HOAN_KIEM, True),
        ("01", VUNG_TAU, False),
        ("00070", HOAN_KIEM, True),
        ("00070", BA_DINH, False),
        ("00070", HA_NOI, False),
    ],
)
def test_central_reaches_all_a_province_itself_and_its_communes_a_commune_itself(
    who: str, unit: Unit, reaches: bool
) -> None:
    assert within_reach(caller(who), unit) is reaches


def test_central_and_the_province_answer_for_a_communes_data_never_the_commune_itself() -> None:
    assert oversees("VN", HOAN_KIEM)
    assert oversees("01", HOAN_KIEM)
    assert not oversees("00070", HOAN_KIEM)
    assert not oversees("79", HOAN_KIEM)
    # A province answers for its own data, as Central does; another province does not.
    assert oversees("VN", HA_NOI)
    assert oversees("01", HA_NOI)
    assert not oversees("79", HA_NOI)


def test_an_act_from_below_or_from_another_province_is_refused_as_not_the_province() -> None:
    require_oversight(caller("01"), HOAN_KIEM, "reopen")
    for who in ("00070", "79"):
        with pytest.raises(Forbidden) as refused:
            require_oversight(caller(who), HOAN_KIEM, "reopen")
        assert refused.value.reason == "not_the_province"
        assert "01 or VN" in refused.value.message


def test_the_national_table_is_centrals_or_a_granted_callers() -> None:
    assert reaches_nation(caller("VN"))
    assert reaches_nation(caller("01", Grant.NATIONAL))
    assert not reaches_nation(caller("01"))
