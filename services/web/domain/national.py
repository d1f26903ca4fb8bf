"""The national overview's view models, shaped from the read API's bodies: the tiles of the
map with their completeness band, each target with the provinces missing it, the provinces
late or missing, and the trend's bars. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.web.domain.tiles import COLUMNS, ROWS, TILES, short_name

Band = Literal["complete", "partial", "low", "none"]
BANDS: tuple[Band, ...] = ("complete", "partial", "low", "none")
COMPLETE_PCT = 95.0  # DHIS2's usual line for a complete reporting rate
LOW_PCT = 50.0

Body = Mapping[str, Any]


@dataclass(frozen=True)
class Completeness:
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    rate_pct: float | None

    @classmethod
    def of(cls, body: Body) -> Completeness:
        c = body.get("completeness") or {}
        return cls(
            expected=int(c.get("expected", 0)),
            submitted=int(c.get("submitted", 0)),
            on_time=int(c.get("on_time", 0)),
            late=int(c.get("late", 0)),
            missing=int(c.get("missing", 0)),
            rate_pct=c.get("rate_pct"),
        )

    @property
    def on_time_pct(self) -> float | None:
        """Reports on time over reports expected, as DHIS2's "reporting rate on time"."""
        if self.expected == 0:
            return None
        return round(100 * self.on_time / self.expected, 2)

    @property
    def band(self) -> Band:
        if self.submitted == 0 or self.rate_pct is None:
            return "none"
        if self.rate_pct >= COMPLETE_PCT:
            return "complete"
        return "partial" if self.rate_pct >= LOW_PCT else "low"


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    short: str
    row: int
    column: int
    completeness: Completeness

    @property
    def band(self) -> Band:
        return self.completeness.band

    @property
    def spoken_name(self) -> str:
        """The full name, led by the tile's own text when that is not part of it (WCAG's
        label in name): "TP HCM, Thành phố Hồ Chí Minh"."""
        return self.name if self.short in self.name else f"{self.short}, {self.name}"


def tiles(children: Sequence[Body]) -> list[Tile]:
    """One tile per province, placed by :data:`TILES`; a province the grid does not know (the
    registry changed) is placed under the map rather than left out."""
    placed: list[Tile] = []
    unplaced = 0
    for child in children:
        code = str(child["unit"])
        position = TILES.get(code)
        if position is None:
            position = (ROWS + unplaced // COLUMNS, unplaced % COLUMNS)
            unplaced += 1
        name = str(child.get("name") or code)
        completeness = Completeness.of(child)
        placed.append(Tile(code, name, short_name(code, name), *position, completeness))
    return sorted(placed, key=lambda tile: (tile.row, tile.column))


@dataclass(frozen=True)
class ProvinceMiss:
    code: str
    name: str
    value: float | None
    units_missed: int


@dataclass(frozen=True)
class Target:
    code: str
    title: str
    rule: str
    value: float | None
    met: bool | None
    units_met: int
    units_missed: int
    units_unjudged: int
    provinces_missing: list[ProvinceMiss]

    @property
    def rule_text(self) -> str:
        """The rule as an official writes it: ">= 15" reads "≥ 15"."""
        operator, _, value = self.rule.partition(" ")
        return f"{_OPERATORS.get(operator, operator)} {value}".strip()


_OPERATORS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠"}


def targets(national: Body, children: Sequence[Body], titles: Mapping[str, str]) -> list[Target]:
    """Each derived indicator with a target: the nation's figure against it, and the provinces
    whose own total misses it (an official asks "which provinces are behind", then opens the
    province for its communes), each with how many of its units miss it on their own figures."""
    shaped = []
    for code, figure in (national.get("derived") or {}).items():
        if "target" not in figure:
            continue
        counts = (national.get("targets") or {}).get(code) or {}
        shaped.append(
            Target(
                code=code,
                title=titles.get(code, code),
                rule=str(figure["target"]),
                value=figure.get("value"),
                met=figure.get("met"),
                units_met=int(counts.get("units_met", 0)),
                units_missed=int(counts.get("units_missed", 0)),
                units_unjudged=int(counts.get("units_unjudged", 0)),
                provinces_missing=_missing(code, children),
            )
        )
    return shaped


def _missing(code: str, children: Sequence[Body]) -> list[ProvinceMiss]:
    found = []
    for child in children:
        figure = (child.get("derived") or {}).get(code) or {}
        if figure.get("met") is not False:
            continue
        counts = (child.get("targets") or {}).get(code) or {}
        found.append(
            ProvinceMiss(
                code=str(child["unit"]),
                name=str(child.get("name") or child["unit"]),
                value=figure.get("value"),
                units_missed=int(counts.get("units_missed", 0)),
            )
        )
    return sorted(found, key=lambda miss: (-miss.units_missed, miss.code))


@dataclass(frozen=True)
class LateProvince:
    code: str
    name: str
    own_status: str | None  # the province's own report: "late", "missing", None (on time)
    own_received_at: str | None
    completeness: Completeness


@dataclass(frozen=True)
class Lateness:
    provinces: list[LateProvince]
    province_deadline: str | None
    commune_deadline: str | None


def lateness(children: Sequence[Body], late_units: Sequence[Body]) -> Lateness:
    """The provinces with anything late or missing: their own report (from the late list, which
    for the nation holds every late or missing unit), and their units' counts (from the
    province's rollup), least complete first."""
    own = {u["unit"]: u for u in late_units if u.get("level") == "province"}
    provinces = []
    for child in children:
        completeness = Completeness.of(child)
        entry = own.get(child["unit"])
        if entry is None and completeness.late == 0 and completeness.missing == 0:
            continue
        provinces.append(
            LateProvince(
                code=str(child["unit"]),
                name=str(child.get("name") or child["unit"]),
                own_status=entry["status"] if entry else None,
                own_received_at=entry.get("received_at") if entry else None,
                completeness=completeness,
            )
        )
    provinces.sort(key=lambda p: (p.completeness.rate_pct or 0.0, p.code))
    return Lateness(
        provinces,
        _deadline(late_units, "province"),
        _deadline(late_units, "commune"),
    )


def _deadline(late_units: Sequence[Body], level: str) -> str | None:
    return next((u.get("deadline") for u in late_units if u.get("level") == level), None)


def bar_class(pct: float | None) -> str:
    """A bar's width as a class, ``w-0`` to ``w-100`` in steps of 5 (the pages allow no inline
    styles)."""
    if pct is None:
        return "w-0"
    step = int(min(max(pct, 0.0), 100.0) / 5 + 0.5) * 5
    return f"w-{step}"


@dataclass(frozen=True)
class TrendRow:
    period: str
    completeness: Completeness | None  # None: the period could not be read

    @property
    def rate_bar(self) -> str:
        return bar_class(self.completeness.rate_pct if self.completeness else None)

    @property
    def on_time_bar(self) -> str:
        return bar_class(self.completeness.on_time_pct if self.completeness else None)
