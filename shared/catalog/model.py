"""The report catalog: report types as data (indicators, rules, derived indicators, deadlines)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.catalog.expression import COMPARATORS, Expression
from shared.periods import Period, Periodicity, end_of_day


class Level(StrEnum):
    CENTRAL = "central"
    PROVINCE = "province"
    COMMUNE = "commune"


class IndicatorType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"


class Aggregation(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """User-facing text, Vietnamese first, English as the fallback."""

    vi: str
    en: str


class Indicator(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: IndicatorType
    unit: str
    aggregation: Aggregation = Aggregation.SUM
    title: Text
    required: bool = True


class Rule(_Frozen):
    """``left operator right`` over a report's values; a report breaking it is rejected."""

    code: str
    left: str
    operator: Literal["==", "!=", "<", "<=", ">", ">="]
    right: str
    message: Text

    def expressions(self) -> tuple[Expression, Expression]:
        return _parsed(self.left), _parsed(self.right)


class Target(_Frozen):
    operator: Literal["==", "<=", ">=", "<", ">"]
    value: Decimal

    def is_met(self, value: Decimal) -> bool:
        return COMPARATORS[self.operator](value, self.value)


class Derived(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    formula: str
    title: Text
    target: Target | None = None

    def expression(self) -> Expression:
        return _parsed(self.formula)


class Deadline(_Frozen):
    """A deadline as a day of the period's last month, ending 23:59:59 Vietnam time."""

    day_of_last_month: int = Field(ge=1, le=28)

    def for_period(self, period: Period) -> datetime:
        return end_of_day(self.due_date(period))

    def due_date(self, period: Period) -> date:
        return period.day_of_last_month(self.day_of_last_month)


class LevelRule(_Frozen):
    level: Literal[Level.PROVINCE, Level.COMMUNE]
    deadline: Deadline


class ReportType(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    periodicity: Periodicity
    levels: tuple[LevelRule, ...]
    indicators: tuple[Indicator, ...]
    rules: tuple[Rule, ...] = ()
    derived: tuple[Derived, ...] = ()

    @model_validator(mode="after")
    def _names_are_known(self) -> ReportType:
        known = {i.code for i in self.indicators}
        if len(known) != len(self.indicators):
            raise ValueError(f"{self.code}: duplicate indicator codes")
        for rule in self.rules:
            for expression in rule.expressions():
                if unknown := expression.names - known:
                    raise ValueError(
                        f"{self.code}: rule {rule.code} names unknown {sorted(unknown)}"
                    )
        for derived in self.derived:
            if unknown := derived.expression().names - known:
                raise ValueError(f"{self.code}: {derived.code} names unknown {sorted(unknown)}")
        return self

    @property
    def indicator_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def submitting_levels(self) -> tuple[Level, ...]:
        return tuple(rule.level for rule in self.levels)

    def deadline_for(self, level: Level, period: Period) -> datetime | None:
        for rule in self.levels:
            if rule.level == level:
                return rule.deadline.for_period(period)
        return None

    def period_of(self, label: str) -> Period:
        """Parse ``label`` and check that it has this report type's periodicity."""
        period = Period.parse(label)
        if period.periodicity != self.periodicity:
            raise ValueError(f"{label} is not a {self.periodicity} period")
        return period


_EXPRESSIONS: dict[str, Expression] = {}


def _parsed(source: str) -> Expression:
    if source not in _EXPRESSIONS:
        _EXPRESSIONS[source] = Expression.parse(source)
    return _EXPRESSIONS[source]
