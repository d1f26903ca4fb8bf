"""The report catalog: loading, deadlines, and the expression language of rules and formulas."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shared.catalog import (
    DEFAULT_DIRECTORY,
    Catalog,
    CatalogError,
    IndicatorType,
    Level,
    ReportType,
)
from shared.catalog.expression import Expression, InvalidExpression
from shared.catalog.model import Aggregation, Indicator, Target, Text
from shared.periods import VIETNAM, Period

KL226 = "kl226-quarterly"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def kl226(catalog: Catalog) -> ReportType:
    report_type = catalog.get(KL226)
    assert report_type is not None
    return report_type


def _kl226_text() -> str:
    return (DEFAULT_DIRECTORY / f"{KL226}.toml").read_text(encoding="utf-8")


def test_the_shipped_catalog_holds_both_report_types(catalog: Catalog) -> None:
    assert set(catalog.report_types) == {"kl226-quarterly", "lg2-monthly"}
    assert {report_type.code for report_type in catalog} == {"kl226-quarterly", "lg2-monthly"}


def test_an_unknown_report_type_is_not_in_the_catalog(catalog: Catalog) -> None:
    assert catalog.get("kl226-monthly") is None


def test_kl226_is_quarterly_and_submitted_by_communes_and_provinces(kl226: ReportType) -> None:
    assert kl226.periodicity == "quarterly"
    assert kl226.submitting_levels() == (Level.COMMUNE, Level.PROVINCE)


def test_kl226_budgets_are_decimal_and_counts_are_integer(kl226: ReportType) -> None:
    types = {i.code: i.type for i in kl226.indicators}
    assert types["conference_budget_planned"] == IndicatorType.DECIMAL
    assert types["conference_budget_spent"] == IndicatorType.DECIMAL
    assert types["docs_issued"] == IndicatorType.INTEGER
    assert sum(t == IndicatorType.INTEGER for t in types.values()) == 10


def test_every_kl226_indicator_is_summed(kl226: ReportType) -> None:
    assert {i.aggregation for i in kl226.indicators} == {Aggregation.SUM}


def test_lg2_uses_every_unit_aggregation_type(catalog: Catalog) -> None:
    lg2 = catalog.get("lg2-monthly")
    assert lg2 is not None
    by_code = lg2.indicator_by_code
    assert by_code["citizen_satisfaction_pct"].aggregation == Aggregation.WEIGHTED_MEAN
    assert by_code["citizen_satisfaction_pct"].weight == "procedures_received"
    assert {i.aggregation for i in lg2.indicators} >= {
        Aggregation.SUM,
        Aggregation.WEIGHTED_MEAN,
        Aggregation.MIN,
        Aggregation.MAX,
        Aggregation.LAST,
        Aggregation.COUNT,
    }


def test_a_weight_belongs_to_weighted_means_only() -> None:
    with pytest.raises(ValueError, match="weight"):
        Indicator(
            code="x",
            type=IndicatorType.DECIMAL,
            unit="%",
            aggregation=Aggregation.MEAN,
            weight="y",
            title=Text(vi="x", en="x"),
        )


def test_the_default_reminder_policy_counts_working_days_around_the_deadline(
    kl226: ReportType,
) -> None:
    commune = kl226.level_rule(Level.COMMUNE)
    assert commune is not None
    steps = {step.stage: step for step in commune.reminders}
    assert list(steps) == ["unit-3", "unit-1", "unit+0", "parent+1", "central+3"]
    # 31 August to 2 September 2026 are days off (National Day): they do not count.
    assert steps["parent+1"].send_on(date(2026, 8, 28)) == date(2026, 9, 3)
    assert steps["unit-3"].send_on(date(2026, 9, 7)) == date(2026, 8, 28)
    assert steps["unit+0"].send_on(date(2026, 9, 7)) == date(2026, 9, 7)


def test_a_catalog_file_sets_its_own_reminder_policy_per_level(tmp_path: Path) -> None:
    text = _kl226_text()
    shipped = '{ to = "unit", working_days = -3 },'
    assert shipped in text  # the shipped file states its policy rather than relying on a default
    _write(
        tmp_path, f"{KL226}.toml", text.replace(shipped, '{ to = "unit", working_days = -5 },', 1)
    )
    loaded = Catalog.load(tmp_path).get(KL226)
    assert loaded is not None
    commune, province = loaded.level_rule(Level.COMMUNE), loaded.level_rule(Level.PROVINCE)
    assert commune is not None
    assert province is not None
    assert next(step.stage for step in commune.reminders) == "unit-5"
    assert next(step.stage for step in province.reminders) == "unit-3"


def test_a_reminder_step_listed_twice_is_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace(
        '{ to = "unit", working_days = -1 },', '{ to = "unit", working_days = -3 },', 1
    )
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError, match="listed twice"):
        Catalog.load(tmp_path)


def test_catalog_titles_are_nfc_normalised(kl226: ReportType) -> None:
    assert unicodedata.is_normalized("NFC", kl226.title.vi)
    assert kl226.title.vi.startswith("Báo cáo quý")


@pytest.mark.parametrize(
    ("label", "commune_day", "province_day"),
    [
        ("2026-Q1", datetime(2026, 3, 17, 23, 59, 59), datetime(2026, 3, 25, 23, 59, 59)),
        ("2026-Q2", datetime(2026, 6, 17, 23, 59, 59), datetime(2026, 6, 25, 23, 59, 59)),
        ("2026-Q4", datetime(2026, 12, 17, 23, 59, 59), datetime(2026, 12, 25, 23, 59, 59)),
    ],
)
def test_kl226_deadlines_are_the_17th_for_communes_and_25th_for_provinces_in_vietnam(
    kl226: ReportType, label: str, commune_day: datetime, province_day: datetime
) -> None:
    period = Period.parse(label)
    commune = kl226.deadline_for(Level.COMMUNE, period)
    province = kl226.deadline_for(Level.PROVINCE, period)
    assert commune == commune_day.replace(tzinfo=VIETNAM)
    assert province == province_day.replace(tzinfo=VIETNAM)
    assert commune is not None
    assert commune.utcoffset() is not None
    assert commune.isoformat().endswith("23:59:59+07:00")


def test_central_has_no_kl226_deadline(kl226: ReportType) -> None:
    assert kl226.deadline_for(Level.CENTRAL, Period.parse("2026-Q1")) is None


def test_period_of_accepts_a_quarter_label_for_a_quarterly_report(kl226: ReportType) -> None:
    assert kl226.period_of("2026-Q1") == Period(2026, 1, 3)


@pytest.mark.parametrize("label", ["2026-03", "2026-H1", "2026", "2026-13"])
def test_period_of_refuses_a_label_of_another_periodicity_or_an_invalid_one(
    kl226: ReportType, label: str
) -> None:
    with pytest.raises(ValueError, match=label):
        kl226.period_of(label)


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_copy_of_the_shipped_file_loads_from_another_directory(tmp_path: Path) -> None:
    _write(tmp_path, f"{KL226}.toml", _kl226_text())
    assert set(Catalog.load(tmp_path).report_types) == {KL226}


def test_a_rule_naming_an_unknown_indicator_is_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace('right = "conferences_total"', 'right = "conferences_totl"', 1)
    assert "conferences_totl" in text
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError, match="conferences_totl"):
        Catalog.load(tmp_path)


def test_a_derived_indicator_naming_an_unknown_indicator_is_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace(
        "docs_issued / docs_issued_prev_year", "docs / docs_issued_prev_year"
    )
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError, match="docs"):
        Catalog.load(tmp_path)


def test_a_rule_with_a_forbidden_construct_is_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace('right = "conferences_total"', "right = \"__import__('os')\"", 1)
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError):
        Catalog.load(tmp_path)


def test_duplicate_indicator_codes_are_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace('code = "docs_issued_prev_year"', 'code = "docs_issued"')
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError, match="duplicate"):
        Catalog.load(tmp_path)


def test_a_file_whose_name_does_not_match_its_code_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "kl226-other.toml", _kl226_text())
    with pytest.raises(CatalogError, match="must match file name"):
        Catalog.load(tmp_path)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "broken.toml", "code = \n")
    with pytest.raises(CatalogError, match=r"broken\.toml"):
        Catalog.load(tmp_path)


def test_an_unknown_field_in_a_catalog_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, f"{KL226}.toml", 'colour = "red"\n' + _kl226_text())
    with pytest.raises(CatalogError):
        Catalog.load(tmp_path)


def test_a_deadline_after_the_28th_is_refused(tmp_path: Path) -> None:
    text = _kl226_text().replace("day_of_last_month = 25", "day_of_last_month = 31")
    _write(tmp_path, f"{KL226}.toml", text)
    with pytest.raises(CatalogError):
        Catalog.load(tmp_path)


def test_an_empty_catalog_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no report types"):
        Catalog.load(tmp_path)


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(CatalogError, ValueError)


# The expression language.


def test_an_expression_knows_the_indicator_codes_it_names() -> None:
    expression = Expression.parse("100 * (1 - docs_issued / docs_issued_prev_year)")
    assert expression.names == frozenset({"docs_issued", "docs_issued_prev_year"})


def test_an_expression_of_constants_names_nothing() -> None:
    assert Expression.parse("1 + 2").names == frozenset()


def test_an_expression_evaluates_with_exact_decimals() -> None:
    assert Expression.parse("0.1 + 0.2").evaluate({}) == Decimal("0.3")
    assert Expression.parse("a - b").evaluate({"a": Decimal("1.10"), "b": 1}) == Decimal("0.10")


def test_operator_precedence_and_parentheses_are_respected() -> None:
    values = {"a": 2, "b": 3, "c": 4}
    assert Expression.parse("a + b * c").evaluate(values) == 14
    assert Expression.parse("(a + b) * c").evaluate(values) == 20
    assert Expression.parse("-a + c").evaluate(values) == 2


def test_the_documents_reduction_formula_gives_a_percentage() -> None:
    expression = Expression.parse("100 * (1 - docs_issued / docs_issued_prev_year)")
    result = expression.evaluate({"docs_issued": 80, "docs_issued_prev_year": 100})
    assert result == Decimal(20)


def test_division_by_zero_gives_none() -> None:
    assert Expression.parse("a / b").evaluate({"a": 1, "b": 0}) is None
    assert Expression.parse("100 * (1 - a / b)").evaluate({"a": 1, "b": Decimal("0.0")}) is None


def test_a_missing_value_gives_none_not_zero() -> None:
    assert Expression.parse("a + b").evaluate({"a": 1}) is None
    assert Expression.parse("a + b").evaluate({"a": 1, "b": None}) is None


@pytest.mark.parametrize(
    "source",
    [
        "a ** 2",
        "a // 2",
        "a % 2",
        "a < b",
        "abs(a)",
        "a.real",
        "'text'",
        "True",
        "+a",
        "not a",
        "a[0]",
        "lambda: 1",
        "a if b else c",
        "1 +",
        "",
    ],
)
def test_anything_beyond_arithmetic_on_names_and_numbers_is_refused(source: str) -> None:
    with pytest.raises(InvalidExpression):
        Expression.parse(source)


@pytest.mark.parametrize(
    ("operator", "value", "met"),
    [
        (">=", Decimal(15), True),
        (">=", Decimal("14.99"), False),
        ("<=", Decimal(40), True),
        ("<=", Decimal("40.01"), False),
        ("==", Decimal(100), True),
        ("==", Decimal("99.9"), False),
    ],
)
def test_a_target_is_met_when_its_comparison_holds(
    operator: str, value: Decimal, met: bool
) -> None:
    bounds = {">=": 15, "<=": 40, "==": 100}
    target = Target.model_validate({"operator": operator, "value": bounds[operator]})
    assert target.is_met(value) is met
