"""Changes to the unit registry: mergers, new units, renames, from a file or a newer package.

History is never lost: a code is never deleted or reused. A merger closes the old code
(``valid_to``) and names its successor; reports for periods before the closing date are still
judged against the unit as it was. Pure: the caller reads the file and writes the result.

A changes file is TOML::

    [[close]]
    code = "00073"
    on = 2026-07-01          # the first day the unit no longer exists
    successor = "00070"

    [[open]]
    code = "00074"
    name = "Phường Mới"
    level = "commune"
    kind = "phuong"
    parent = "01"
    valid_from = 2026-07-01

    [[rename]]
    code = "00070"
    name = "Phường Hoàn Kiếm"
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from shared.catalog.model import Level
from shared.registry.model import Registry, Unit


class InvalidChange(ValueError):
    """A change that would break the registry: it names the change and why."""


@dataclass(frozen=True)
class Plan:
    """What applying changes writes: units to insert or update, and a line per change."""

    units: list[Unit]
    summary: list[str]


def parse(text: str) -> dict[str, list[dict[str, Any]]]:
    try:
        document = tomllib.loads(unicodedata.normalize("NFC", text))
    except tomllib.TOMLDecodeError as error:
        raise InvalidChange(f"not a changes file: {error}") from error
    unknown = set(document) - {"close", "open", "rename"}
    if unknown:
        raise InvalidChange(f"unknown sections {sorted(unknown)}; use close, open, rename")
    return {kind: list(document.get(kind, [])) for kind in ("open", "rename", "close")}


def plan(registry: Registry, changes: dict[str, list[dict[str, Any]]]) -> Plan:
    """Check every change against ``registry`` (and the changes before it) and plan the writes."""
    planning = _Planning(registry)
    for entry in changes.get("open", []):
        planning.open(entry)
    for entry in changes.get("rename", []):
        planning.rename(entry)
    for entry in changes.get("close", []):
        planning.close(entry)
    return Plan(list(planning.units.values()), planning.summary)


class _Planning:
    """The units as the changes so far leave them: each change sees the ones before it."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.units: dict[str, Unit] = {}
        self.summary: list[str] = []

    def current(self, code: str) -> Unit | None:
        return self.units.get(code) or self.registry.get(code)

    def open(self, entry: dict[str, Any]) -> None:
        unit = _opened(entry)
        if self.current(unit.code) is not None:
            raise InvalidChange(f"open {unit.code}: the code exists; codes are never reused")
        parent = self.current(unit.parent) if unit.parent else None
        if unit.level != Level.CENTRAL and parent is None:
            raise InvalidChange(f"open {unit.code}: no parent unit {unit.parent!r}")
        self.units[unit.code] = unit
        self.summary.append(
            f"open {unit.code} {unit.name} under {unit.parent} from {unit.valid_from}"
        )

    def rename(self, entry: dict[str, Any]) -> None:
        code, name = _text(entry, "code"), _text(entry, "name")
        renamed = self.current(code)
        if renamed is None:
            raise InvalidChange(f"rename {code}: no such unit")
        self.units[code] = replace(renamed, name=name)
        self.summary.append(f"rename {code}: {renamed.name} -> {name}")

    def close(self, entry: dict[str, Any]) -> None:
        code, on = _text(entry, "code"), _date(entry, "on")
        successor_code = entry.get("successor")
        closing = self.current(code)
        if closing is None:
            raise InvalidChange(f"close {code}: no such unit")
        if closing.valid_to is not None:
            raise InvalidChange(f"close {code}: already closed on {closing.valid_to}")
        if on <= closing.valid_from:
            raise InvalidChange(f"close {code}: {on} is not after it opened ({closing.valid_from})")
        if successor_code is not None:
            self._check_successor(closing, str(successor_code))
        self.units[code] = replace(closing, valid_to=on, successor=successor_code)
        self.summary.append(
            f"close {code} {closing.name} on {on}"
            + (f", succeeded by {successor_code}" if successor_code else "")
        )

    def _check_successor(self, closing: Unit, successor_code: str) -> None:
        successor = self.current(successor_code)
        if successor is None or successor.code == closing.code:
            raise InvalidChange(f"close {closing.code}: no successor unit {successor_code!r}")
        if successor.level != closing.level:
            raise InvalidChange(
                f"close {closing.code}: successor {successor.code} is another level"
            )


def from_package(registry: Registry, package: list[Unit]) -> tuple[Plan, list[Unit]]:
    """Units a newer ``vietnam-provinces`` release adds or renames, and the ones it no longer
    lists: those are not closed here, since only a changes file can say when and into what."""
    known = {u.code for u in package}
    writes: list[Unit] = []
    summary: list[str] = []
    for unit in package:
        existing = registry.get(unit.code)
        if existing is None:
            writes.append(unit)
            summary.append(f"open {unit.code} {unit.name} under {unit.parent}")
        elif existing.name != unit.name:
            writes.append(replace(existing, name=unit.name))
            summary.append(f"rename {unit.code}: {existing.name} -> {unit.name}")
    missing = [
        u
        for u in registry.units(Level.COMMUNE, date.max) + registry.units(Level.PROVINCE, date.max)
        if u.code not in known and u.valid_to is None
    ]
    return Plan(writes, summary), missing


def _opened(entry: dict[str, Any]) -> Unit:
    try:
        level = Level(_text(entry, "level"))
    except ValueError as error:
        raise InvalidChange(f"open: level must be province or commune ({error})") from error
    return Unit(
        code=_text(entry, "code"),
        name=_text(entry, "name"),
        level=level,
        kind=_text(entry, "kind"),
        parent=_text(entry, "parent"),
        valid_from=_date(entry, "valid_from"),
    )


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidChange(f"{entry}: {key} is required text")
    return value


def _date(entry: dict[str, Any], key: str) -> date:
    value = entry.get(key)
    if not isinstance(value, date):
        raise InvalidChange(f"{entry}: {key} must be a date such as 2026-07-01")
    return value
