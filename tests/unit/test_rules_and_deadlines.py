"""The rule engine, warnings, working-day deadlines and locks, as the catalog defines them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.validator.domain.judgement import Judgement, judge
from services.validator.domain.rules import check_rules
from shared.catalog import Catalog, CatalogError, Level
from shared.catalog.model import Deadline, Importance, MissingValues, Rule, Text
from shared.periods import VIETNAM, Period
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Submission
from shared.workdays import add_working_days, is_working_day
from tests.unit.test_judgement import HOAN_KIEM, ON_TIME, submission, valid_values


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


def judged(
    catalog: Catalog,
    registry: Registry,
    report: Submission,
    received_at: datetime = ON_TIME,
    **options: Any,
) -> Judgement:
    return judge(report, catalog=catalog, registry=registry, received_at=received_at, **options)


def codes(reasons: list[Any]) -> list[str]:
    return [r.code for r in reasons]


# Rules: importance and missing values


def test_a_broken_warning_rule_accepts_the_report_and_flags_it(
    catalog: Catalog, registry: Registry
) -> None:
    report = submission(conference_budget_spent=Decimal("200"))  # planned: 150.5

    judgement = judged(catalog, registry, report)

    assert judgement.accepted
    # The same overspending also misses the budget_overrun target: that is a second warning.
    assert [(w.code, w.rule or w.indicator) for w in judgement.warnings] == [
        ("rule_violated", "budget_within_plan"),
        ("target_missed", "budget_overrun"),
    ]
    warning = judgement.warnings[0]
    assert "vượt kế hoạch" in warning.message
    assert "over plan" in warning.message_en


def test_a_broken_error_rule_rejects_the_report(catalog: Catalog, registry: Registry) -> None:
    judgement = judged(catalog, registry, submission(procedures_online=300))

    assert not judgement.accepted
    assert [r.rule for r in judgement.reasons] == ["procedures_online_bounded"]


def rule(missing: MissingValues, importance: Importance = Importance.ERROR) -> Rule:
    return Rule(
        code="split",
        left="a + b",
        operator="==",
        right="total",
        message=Text(vi="a cộng b bằng tổng", en="a plus b equals the total"),
        importance=importance,
        missing_values=missing,
    )


@pytest.mark.parametrize(
    ("strategy", "values", "broken"),
    [
        (MissingValues.SKIP_IF_ANY_MISSING, {"a": 1, "total": 5}, False),
        (MissingValues.SKIP_IF_ALL_MISSING, {"a": 1, "total": 5}, True),  # b counts as 0
        (MissingValues.SKIP_IF_ALL_MISSING, {}, False),
        (MissingValues.NEVER_SKIP, {}, False),  # 0 + 0 == 0
        (MissingValues.NEVER_SKIP, {"total": 5}, True),
        (MissingValues.SKIP_IF_ANY_MISSING, {"a": 1, "b": 4, "total": 5}, False),
    ],
)
def test_the_missing_value_strategy_decides_whether_a_rule_is_checked(
    catalog: Catalog, strategy: MissingValues, values: dict[str, int], broken: bool
) -> None:
    kl226 = catalog.report_types["kl226-quarterly"]
    report_type = kl226.model_copy(update={"rules": (rule(strategy),)})

    errors, warnings = check_rules(report_type, values)

    assert bool(errors) is broken
    assert warnings == []


def test_a_catalog_with_a_rule_naming_an_unknown_indicator_is_refused(tmp_path: Path) -> None:
    source = (Path(__file__).parents[2] / "shared/catalog/data/kl226-quarterly.toml").read_text(
        encoding="utf-8"
    )
    (tmp_path / "kl226-quarterly.toml").write_text(
        source.replace('right = "conferences_total"', 'right = "conferencez_total"', 1),
        encoding="utf-8",
    )

    with pytest.raises(CatalogError, match="conferencez_total"):
        Catalog.load(tmp_path)


def test_a_catalog_with_an_unknown_importance_is_refused(tmp_path: Path) -> None:
    source = (Path(__file__).parents[2] / "shared/catalog/data/kl226-quarterly.toml").read_text(
        encoding="utf-8"
    )
    (tmp_path / "kl226-quarterly.toml").write_text(
        source.replace('importance = "warning"', 'importance = "fatal"'), encoding="utf-8"
    )

    with pytest.raises(CatalogError, match="importance"):
        Catalog.load(tmp_path)


# Warnings: targets and outliers


def test_a_unit_missing_a_target_is_accepted_with_a_warning(
    catalog: Catalog, registry: Registry
) -> None:
    report = submission(procedures_online=150)  # 75 % online, target >= 95

    judgement = judged(catalog, registry, report)

    assert judgement.accepted
    [warning] = judgement.warnings
    assert (warning.code, warning.indicator) == ("target_missed", "procedures_online_pct")
    assert "75" in warning.message_en
    assert ">= 95" in warning.message_en


def history(docs_issued: list[int]) -> list[dict[str, Any]]:
    return [{**valid_values(), "docs_issued": value} for value in docs_issued]


@pytest.mark.parametrize(
    ("value", "past", "flagged"),
    [
        (80, [70, 90, 80, 100], False),
        (400, [70, 90, 80, 100], True),  # over 3 × the median 85
        (20, [70, 90, 80, 100], True),  # under a third of it
        (400, [80], False),  # one period is not a history
        (0, [0, 0, 0], False),  # a median of 0 says nothing
    ],
)
def test_a_value_far_from_the_units_own_median_is_flagged_as_a_likely_slip(
    catalog: Catalog, registry: Registry, value: int, past: list[int], flagged: bool
) -> None:
    judgement = judged(catalog, registry, submission(docs_issued=value), history=history(past))

    assert judgement.accepted
    outliers = [w for w in judgement.warnings if w.code == "outlier"]
    assert [w.indicator for w in outliers] == (["docs_issued"] if flagged else [])


# Deadlines: working days, Tết, grace, locks


def test_working_days_skip_weekends_and_tet() -> None:
    assert not is_working_day(date(2026, 2, 17))  # Tết, a Tuesday
    assert not is_working_day(date(2026, 2, 21))  # a Saturday
    assert is_working_day(date(2026, 2, 23))
    # Cut-off on Saturday 14 February 2026; Tết runs 16–20 February.
    assert add_working_days(date(2026, 2, 14), 5) == date(2026, 2, 27)
    assert add_working_days(date(2026, 3, 14), 5) == date(2026, 3, 20)


def test_a_working_day_deadline_falls_after_tet(catalog: Catalog) -> None:
    lg2 = catalog.report_types["lg2-monthly"]

    february = lg2.deadline_for(Level.COMMUNE, Period.parse("2026-02"))
    march = lg2.deadline_for(Level.COMMUNE, Period.parse("2026-03"))

    assert february is not None
    assert march is not None
    assert february.astimezone(VIETNAM).date() == date(2026, 2, 27)
    assert march.astimezone(VIETNAM).date() == date(2026, 3, 20)


def test_a_deadline_is_one_rule_or_the_other() -> None:
    with pytest.raises(ValueError, match="either"):
        Deadline(day_of_last_month=17, working_days_after_cutoff=5)
    with pytest.raises(ValueError, match="either"):
        Deadline()


def test_grace_days_keep_a_report_on_time_after_the_deadline() -> None:
    deadline = Deadline(day_of_last_month=17, grace_days=2)
    period = Period.parse("2026-Q4")

    assert deadline.for_period(period).astimezone(VIETNAM).date() == date(2026, 12, 17)
    assert deadline.on_time_until(period).astimezone(VIETNAM).date() == date(2026, 12, 19)


def test_a_report_after_the_lock_date_is_refused_unless_the_unit_was_reopened(
    catalog: Catalog, registry: Registry
) -> None:
    report = submission(period="2026-Q1")  # due 17 March 2026, locks 30 days later
    locked = datetime(2026, 4, 20, 9, tzinfo=VIETNAM)

    refused = judged(catalog, registry, report, locked)
    reopened = judged(
        catalog,
        registry,
        report,
        locked,
        lock_exceptions={(HOAN_KIEM, "kl226-quarterly", "2026-Q1")},
    )
    before_lock = judged(catalog, registry, report, datetime(2026, 4, 15, 9, tzinfo=VIETNAM))

    assert codes(refused.reasons) == ["period_locked"]
    assert "16/04/2026" in refused.reasons[0].message_en
    assert reopened.accepted
    assert reopened.timeliness == "late"
    assert before_lock.accepted
