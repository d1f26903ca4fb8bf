"""Units of government and the lookups every service needs. Pure: no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.catalog.model import Level

CENTRAL_CODE = "VN"


@dataclass(frozen=True)
class Unit:
    """A unit of government. Codes are zero-padded strings: ``VN``, ``12``, ``03385``.

    A closed unit keeps its row (its code is never reused) with ``valid_to`` set and, after a
    merger, the code of the unit that took it over in ``successor``.
    """

    code: str
    name: str
    level: Level
    kind: str
    parent: str | None
    valid_from: date
    valid_to: date | None = None
    successor: str | None = None

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    @property
    def province(self) -> str | None:
        """The province a unit belongs to (a province belongs to itself; Central to none)."""
        if self.level == Level.PROVINCE:
            return self.code
        if self.level == Level.COMMUNE:
            return self.parent
        return None


class Registry:
    def __init__(self, units: Iterable[Unit]) -> None:
        self._units = {unit.code: unit for unit in units}
        children: dict[str, list[Unit]] = defaultdict(list)
        for unit in self._units.values():
            if unit.parent is not None:
                children[unit.parent].append(unit)
        self._children = {
            code: sorted(kids, key=lambda u: u.code) for code, kids in children.items()
        }
        # A registry never changes once built, so answers per day are kept: the Central read
        # asks for the 34 provinces on every request, and at 33,000 communes sorting them each
        # time cost more than the rest of the read.
        self._units_on: dict[tuple[Level, date], list[Unit]] = {}
        self._children_on: dict[tuple[str, date], list[Unit]] = {}

    def get(self, code: str) -> Unit | None:
        return self._units.get(code)

    def __len__(self) -> int:
        return len(self._units)

    def province_codes(self) -> list[str]:
        """Every province's code, past ones included."""
        return sorted(u.code for u in self._units.values() if u.level == Level.PROVINCE)

    def children(self, code: str, on: date) -> list[Unit]:
        key = (code, on)
        if key not in self._children_on:
            self._children_on[key] = [u for u in self._children.get(code, []) if u.is_active_on(on)]
        return list(self._children_on[key])

    def units(self, level: Level, on: date) -> list[Unit]:
        key = (level, on)
        if key not in self._units_on:
            self._units_on[key] = sorted(
                (u for u in self._units.values() if u.level == level and u.is_active_on(on)),
                key=lambda u: u.code,
            )
        return list(self._units_on[key])

    def provinces(self, on: date) -> list[Unit]:
        return self.units(Level.PROVINCE, on)

    def expected_in_province(self, province: str, levels: Iterable[Level], on: date) -> list[Unit]:
        """Units of ``province`` that must submit: its communes and/or the province itself."""
        wanted = set(levels)
        expected: list[Unit] = []
        own = self.get(province)
        if own is not None and Level.PROVINCE in wanted and own.is_active_on(on):
            expected.append(own)
        if Level.COMMUNE in wanted:
            expected.extend(self.children(province, on))
        return expected
