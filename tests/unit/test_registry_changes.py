"""Registry changes: a merger closes a code and names its successor; nothing is ever deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from shared.catalog import Level
from shared.registry import Registry, Unit
from shared.registry.changes import InvalidChange, from_package, parse, plan
from shared.registry.seed import units_from_package

MERGER = """
[[open]]
code = "99901"
name = "Phường Hồ Gươm"
level = "commune"
kind = "phuong"
parent = "01"
valid_from = 2026-07-01

[[close]]
code = "00070"
on = 2026-07-01
successor = "99901"

[[close]]
code = "00073"
on = 2026-07-01
successor = "99901"

[[rename]]
code = "00004"
name = "Phường Ba Đình mới"
"""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


def test_a_merger_closes_the_old_codes_and_names_the_new_one(registry: Registry) -> None:
    planned = plan(registry, parse(MERGER))

    after = Registry([*units_from_package(), *planned.units])
    merged = after.get("00070")
    assert merged is not None
    assert (merged.valid_to, merged.successor) == (date(2026, 7, 1), "99901")
    assert merged.is_active_on(date(2026, 6, 30))
    assert not merged.is_active_on(date(2026, 7, 1))
    new = after.get("99901")
    assert new is not None
    assert new.province == "01"
    renamed = after.get("00004")
    assert renamed is not None
    assert renamed.name == "Phường Ba Đình mới"
    assert len(planned.summary) == 4


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[[close]]\ncode = "00070"\non = 2026-07-01\nsuccessor = "99999"', "no successor"),
        ('[[close]]\ncode = "00070"\non = 2026-07-01\nsuccessor = "01"', "another level"),
        ('[[close]]\ncode = "88888"\non = 2026-07-01', "no such unit"),
        ('[[close]]\ncode = "00070"\non = 2020-01-01', "not after it opened"),
        (
            '[[open]]\ncode = "00070"\nname = "X"\nlevel = "commune"\nkind = "xa"\n'
            'parent = "01"\nvalid_from = 2026-07-01',
            "never reused",
        ),
        ('[[delete]]\ncode = "00070"', "unknown sections"),
        ('[[close]]\ncode = "00070"\non = "soon"', "must be a date"),
    ],
)
def test_a_change_that_would_break_the_registry_is_refused(
    registry: Registry, text: str, why: str
) -> None:
    with pytest.raises(InvalidChange, match=why):
        plan(registry, parse(text))


def test_a_closed_unit_cannot_be_closed_again(registry: Registry) -> None:
    closed = Registry([*units_from_package(), *plan(registry, parse(MERGER)).units])

    with pytest.raises(InvalidChange, match="already closed"):
        plan(closed, parse('[[close]]\ncode = "00070"\non = 2026-08-01'))


def test_a_newer_package_adds_and_renames_and_lists_what_it_dropped(registry: Registry) -> None:
    package = units_from_package()
    hanoi = next(u for u in package if u.code == "00070")
    newer = [
        *(u for u in package if u.code != "00073"),
        replace(hanoi, name="Phường Hoàn Kiếm (mới)"),
        Unit("99902", "Xã Mới", Level.COMMUNE, "xa", "01", date(2027, 1, 1)),
    ]
    newer = [u for u in newer if not (u.code == "00070" and u.name == hanoi.name)]

    planned, missing = from_package(registry, newer)

    assert {u.code for u in planned.units} == {"00070", "99902"}
    assert [u.code for u in missing] == ["00073"]
