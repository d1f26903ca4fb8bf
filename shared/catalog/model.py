"""The report catalog: report types as data (indicators, rules, derived indicators, deadlines)."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.catalog.expression import COMPARATORS, Expression
from shared.periods import Period, Periodicity, end_of_day
from shared.workdays import add_working_days, shift_working_days


class Level(StrEnum):
    CENTRAL = "central"
    PROVINCE = "province"
    COMMUNE = "commune"


class IndicatorType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"


class Aggregation(StrEnum):
    """How an indicator's values combine across units (a province from its communes, the nation
    from its provinces) and across periods (a year from its quarters).

    ``count`` is the number of units that reported the indicator, whatever its value. ``last``
    is DHIS2's "last value": a stock, summed across units, and taken from the latest period
    with data across periods. A missing value never takes part: it is not a zero."""

    SUM = "sum"
    MEAN = "mean"
    WEIGHTED_MEAN = "weighted_mean"
    MIN = "min"
    MAX = "max"
    LAST = "last"
    COUNT = "count"


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
    # For weighted_mean: the indicator each unit's value is weighted by (its population, its
    # applications received). A unit that reports the value but not the weight is left out.
    weight: str | None = None
    title: Text
    required: bool = True
    # What to count and where to find it, shown beside the field of a report form.
    help: Text | None = None

    @model_validator(mode="after")
    def _weight_only_for_weighted_mean(self) -> Indicator:
        if (self.aggregation == Aggregation.WEIGHTED_MEAN) != (self.weight is not None):
            raise ValueError(f"{self.code}: a weight goes with aggregation weighted_mean, only")
        return self


class Importance(StrEnum):
    """What breaking a rule does: ``error`` rejects the report, ``warning`` accepts and flags it."""

    ERROR = "error"
    WARNING = "warning"


class MissingValues(StrEnum):
    """When a rule naming a missing indicator is checked (DHIS2's missing value strategy).

    When it is checked anyway, a missing value counts as zero."""

    SKIP_IF_ANY_MISSING = "skip_if_any_missing"
    SKIP_IF_ALL_MISSING = "skip_if_all_missing"
    NEVER_SKIP = "never_skip"


class Rule(_Frozen):
    """``left operator right`` over a report's values, in the spirit of DHIS2's validation rules."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    left: str
    operator: Literal["==", "!=", "<", "<=", ">", ">="]
    right: str
    message: Text
    importance: Importance = Importance.ERROR
    missing_values: MissingValues = MissingValues.SKIP_IF_ANY_MISSING

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
    """When a level's reports are due, ending 23:59:59 Vietnam time: either a day of the
    period's last month, or a number of working days after the period's cut-off (weekends and
    Vietnamese public holidays, Tết included, do not count).

    ``grace_days`` more calendar days still count as on time; ``lock_after_days`` calendar days
    after the deadline the period locks, and reports for it are refused (``period_locked``)
    unless the unit holds a lock exception."""

    day_of_last_month: int | None = Field(default=None, ge=1, le=28)
    working_days_after_cutoff: int | None = Field(default=None, ge=1, le=60)
    grace_days: int = Field(default=0, ge=0, le=31)
    lock_after_days: int | None = Field(default=None, ge=0, le=366)

    @model_validator(mode="after")
    def _one_rule(self) -> Deadline:
        if (self.day_of_last_month is None) == (self.working_days_after_cutoff is None):
            raise ValueError(
                "a deadline is either day_of_last_month or working_days_after_cutoff, not both"
            )
        return self

    def for_period(self, period: Period) -> datetime:
        return end_of_day(self.due_date(period))

    def due_date(self, period: Period) -> date:
        return _due_date(self, period)

    def on_time_until(self, period: Period) -> datetime:
        """The last instant a report still counts as on time: the deadline plus the grace."""
        return end_of_day(self.due_date(period) + timedelta(days=self.grace_days))

    def locks_at(self, period: Period) -> datetime | None:
        """The first instant after which reports for ``period`` are refused, if it ever locks."""
        if self.lock_after_days is None:
            return None
        return end_of_day(self.due_date(period) + timedelta(days=self.lock_after_days))


@functools.lru_cache(maxsize=4096)
def _due_date(deadline: Deadline, period: Period) -> date:
    # Asked for every report judged; counting working days each time was 5 % of the validator.
    if deadline.day_of_last_month is not None:
        return period.day_of_last_month(deadline.day_of_last_month)
    assert deadline.working_days_after_cutoff is not None
    return add_working_days(period.cutoff_end, deadline.working_days_after_cutoff)


class Outliers(_Frozen):
    """Warn about a value far from the unit's own recent history: above ``factor`` times, or
    below 1/``factor`` of, the median of its last ``periods`` periods (needing at least
    ``min_history`` of them, and a median above zero)."""

    factor: Decimal = Field(default=Decimal(3), gt=1)
    periods: int = Field(default=4, ge=1, le=12)
    min_history: int = Field(default=2, ge=1)


class Audience(StrEnum):
    """Who a step of the reminder policy writes to: the late unit itself, its parent (one digest
    listing all its late units), or Central (one digest listing the provinces behind)."""

    UNIT = "unit"
    PARENT = "parent"
    CENTRAL = "central"


class ReminderStep(_Frozen):
    """One notice of a level's reminder policy, ``working_days`` from the deadline's day:
    negative before it, 0 on the day, positive after it. Weekends and holidays do not count."""

    to: Audience
    working_days: int = Field(ge=-30, le=30)

    @property
    def stage(self) -> str:
        """A stable name, part of the exactly-once key: ``unit-3``, ``unit+0``, ``parent+1``."""
        return f"{self.to.value}{self.working_days:+d}"

    def send_on(self, due: date) -> date:
        return shift_working_days(due, self.working_days)


# Conclusion 226's example: three working days and one before, the day itself, the parent one
# working day after, Central three after.
DEFAULT_REMINDERS: tuple[ReminderStep, ...] = (
    ReminderStep(to=Audience.UNIT, working_days=-3),
    ReminderStep(to=Audience.UNIT, working_days=-1),
    ReminderStep(to=Audience.UNIT, working_days=0),
    ReminderStep(to=Audience.PARENT, working_days=1),
    ReminderStep(to=Audience.CENTRAL, working_days=3),
)


class LevelRule(_Frozen):
    level: Literal[Level.PROVINCE, Level.COMMUNE]
    deadline: Deadline
    reminders: tuple[ReminderStep, ...] = DEFAULT_REMINDERS

    @model_validator(mode="after")
    def _stages_unique(self) -> LevelRule:
        stages = [step.stage for step in self.reminders]
        if len(set(stages)) != len(stages):
            raise ValueError(f"{self.level}: a reminder step is listed twice")
        return self


class ReportType(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    periodicity: Periodicity
    levels: tuple[LevelRule, ...]
    indicators: tuple[Indicator, ...]
    rules: tuple[Rule, ...] = ()
    derived: tuple[Derived, ...] = ()
    outliers: Outliers | None = Outliers()
    # How long after a unit signed a report, while its link was down, the report may reach the
    # hub and still be judged at its signed time (docs/weak-networks.md); at most two weeks.
    offline_window_hours: int = Field(default=72, ge=0, le=336)

    @model_validator(mode="after")
    def _names_are_known(self) -> ReportType:
        known = {i.code for i in self.indicators}
        if len(known) != len(self.indicators):
            raise ValueError(f"{self.code}: duplicate indicator codes")
        rule_codes = [rule.code for rule in self.rules]
        if len(set(rule_codes)) != len(rule_codes):
            raise ValueError(f"{self.code}: duplicate rule codes")
        for rule in self.rules:
            for expression in rule.expressions():
                if unknown := expression.names - known:
                    raise ValueError(
                        f"{self.code}: rule {rule.code} names unknown {sorted(unknown)}"
                    )
        for indicator in self.indicators:
            weight = self.indicator_by_code.get(indicator.weight or indicator.code)
            if weight is None:
                raise ValueError(
                    f"{self.code}: {indicator.code} is weighted by unknown {indicator.weight}"
                )
        for derived in self.derived:
            if unknown := derived.expression().names - known:
                raise ValueError(f"{self.code}: {derived.code} names unknown {sorted(unknown)}")
        return self

    @property
    def offline_window(self) -> timedelta:
        return timedelta(hours=self.offline_window_hours)

    @property
    def indicator_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def submitting_levels(self) -> tuple[Level, ...]:
        return tuple(rule.level for rule in self.levels)

    def deadline_for(self, level: Level, period: Period) -> datetime | None:
        rule = self.level_rule(level)
        return rule.deadline.for_period(period) if rule else None

    def level_rule(self, level: Level) -> LevelRule | None:
        for rule in self.levels:
            if rule.level == level:
                return rule
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
