"""The report form read from the catalog's JSON Schema, and figures typed the Vietnamese way."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.web.domain.report_form import (
    NumberError,
    fields_of,
    json_number,
    parse_number,
    place_reasons,
    read_values,
    typed_text,
)
from services.web.domain.report_form import due_date as form_due_date
from shared.catalog import Catalog
from shared.catalog.schema import json_schema


def schema(code: str = "kl226-quarterly") -> dict[str, Any]:
    report_type = Catalog.load().get(code)
    assert report_type is not None
    return json_schema(report_type, f"/v1/catalog/{code}")


@pytest.mark.parametrize(
    ("typed", "kind", "read"),
    [
        ("1.234,5", "decimal", Decimal("1234.5")),
        ("1234,5", "decimal", Decimal("1234.5")),
        ("1234.5", "decimal", Decimal("1234.5")),
        ("1,234.5", "decimal", Decimal("1234.5")),
        ("40,25", "decimal", Decimal("40.25")),
        ("40.25", "decimal", Decimal("40.25")),
        ("0,75", "decimal", Decimal("0.75")),
        ("1.234", "decimal", Decimal("1234")),  # a lone dot before three digits groups
        ("1.234.567", "integer", 1234567),
        ("1.234", "integer", 1234),
        ("1,234", "integer", 1234),  # an integer cannot be 1,234 read as a decimal
        ("1,234", "decimal", Decimal("1.234")),  # a lone comma is the Vietnamese decimal mark
        ("1 234", "integer", 1234),
        ("1\u00a0234,5", "decimal", Decimal("1234.5")),
        ("１２３", "integer", 123),  # full-width digits
        ("12,0", "integer", 12),
        (" 80 ", "integer", 80),
        ("-5", "integer", -5),  # the validator says negative_value, in its own words
        ("", "integer", None),
        ("   ", "decimal", None),
    ],
)
def test_figures_are_read_the_vietnamese_way_first(
    typed: str, kind: str, read: int | Decimal | None
) -> None:
    value = parse_number(typed, kind)
    assert value == read
    assert type(value) is type(read)


@pytest.mark.parametrize(
    ("typed", "kind", "code"),
    [
        ("abc", "integer", "not_a_number"),
        ("1.23.4", "integer", "not_a_number"),
        ("1,2,3", "decimal", "not_a_number"),
        ("1.234,5,6", "decimal", "not_a_number"),
        ("12,5", "integer", "not_whole"),
        ("1e5", "integer", "not_a_number"),
        ("NaN", "decimal", "not_a_number"),
        ("-", "integer", "not_a_number"),
        ("1234567890123,4567", "decimal", "too_many_digits"),
    ],
)
def test_what_cannot_be_read_says_why(typed: str, kind: str, code: str) -> None:
    with pytest.raises(NumberError) as raised:
        parse_number(typed, kind)
    assert raised.value.code == code


@pytest.mark.parametrize("text", ["50.5", "40.25", "0.1", "123456789012.345", "0.0001"])
def test_a_decimal_travels_as_a_json_number_that_reads_back_exactly(text: str) -> None:
    number = json_number(Decimal(text))
    assert Decimal(json.dumps(number)) == Decimal(text)


def test_a_whole_decimal_travels_as_an_integer() -> None:
    assert json_number(Decimal("50.0")) == 50
    assert isinstance(json_number(Decimal("50.0")), int)


def test_fields_follow_the_catalog_with_titles_units_kinds_and_required() -> None:
    fields = fields_of(schema("lg2-monthly"))
    by_code = {f.code: f for f in fields}
    assert fields[0].code == "staff_positions"
    satisfaction = by_code["citizen_satisfaction_pct"]
    assert satisfaction.label("vi") == "Mức độ hài lòng của người dân (%)"
    assert satisfaction.label("en") == "Citizen satisfaction (%)"
    assert (satisfaction.kind, satisfaction.inputmode, satisfaction.required) == (
        "decimal",
        "decimal",
        True,
    )
    assert by_code["staff_in_post"].inputmode == "numeric"
    assert by_code["bandwidth_mbps"].required is False
    assert by_code["bandwidth_mbps"].unit_key == "commune.unit.mbps"


def test_a_rule_is_hinted_beside_the_first_field_it_names() -> None:
    by_code = {f.code: f for f in fields_of(schema())}
    hints = by_code["conferences_in_person"].hints
    assert [h.code for h in hints] == ["conferences_split"]
    assert "tổng số hội nghị" in hints[0].message("vi")
    assert by_code["conferences_total"].hints == ()
    warning = by_code["conference_budget_spent"].hints[0]
    assert (warning.code, warning.importance) == ("budget_within_plan", "warning")


def test_help_texts_come_from_x_help_when_the_schema_has_them() -> None:
    document = schema()
    properties = document["properties"]["values"]["properties"]
    properties["docs_issued_prev_year"].pop("x-help", None)
    properties["docs_issued"]["x-help"] = {
        "vi": "Kể cả văn bản điện tử",
        "en": "Electronic documents included",
    }
    by_code = {f.code: f for f in fields_of(document)}
    assert by_code["docs_issued"].help("vi") == "Kể cả văn bản điện tử"
    assert by_code["docs_issued"].help("en") == "Electronic documents included"
    assert by_code["docs_issued_prev_year"].help("vi") == ""


def test_the_deadline_is_the_levels_day_for_the_period() -> None:
    assert form_due_date(schema(), "commune", "2026-Q4") == date(2026, 12, 17)
    assert form_due_date(schema(), "province", "2026-Q4") == date(2026, 12, 25)
    assert form_due_date(schema(), "national", "2026-Q4") is None


def test_reasons_go_next_to_their_field_and_the_rest_to_the_top() -> None:
    fields = fields_of(schema())
    placed = place_reasons(
        fields,
        [
            {"code": "rule_violated", "indicator": "conferences_in_person", "message": "x"},
            {"code": "period_locked", "message": "locked"},
            {"code": "unknown_indicator", "indicator": "made_up", "message": "?"},
        ],
        [{"code": "rule_violated", "indicator": "conference_budget_spent", "message": "w"}],
    )
    assert [r["code"] for r in placed.by_field["conferences_in_person"]] == ["rule_violated"]
    assert [r["code"] for r in placed.general] == ["period_locked", "unknown_indicator"]
    assert list(placed.warnings_by_field) == ["conference_budget_spent"]
    assert placed.failed
    assert not place_reasons(fields, [], [{"code": "outlier"}]).failed


def test_typed_values_become_numbers_and_blanks_are_left_out() -> None:
    fields = fields_of(schema())
    read = read_values(
        fields,
        {"docs_issued": "1.200", "conference_budget_planned": "50,5", "conferences_total": ""},
    )
    assert read.values == {"docs_issued": 1200, "conference_budget_planned": 50.5}
    assert read.errors == {}
    bad = read_values(fields, {"docs_issued": "12,5", "conferences_total": "mười"})
    assert bad.errors == {"docs_issued": "not_whole", "conferences_total": "not_a_number"}


def test_a_stored_value_is_shown_as_a_person_would_type_it() -> None:
    assert typed_text("40.25", "vi") == "40,25"
    assert typed_text("40.25", "en") == "40.25"
    assert typed_text(1200, "vi") == "1200"
    assert typed_text("100.0", "vi") == "100"
    assert typed_text(None, "vi") == ""


def test_every_unit_of_measure_in_the_catalog_reads_in_both_languages() -> None:
    from services.web.texts import TEXTS

    for code in ("kl226-quarterly", "lg2-monthly"):
        for spec in fields_of(schema(code)):
            vi, en = TEXTS[spec.unit_key]
            assert vi.strip()
            assert en.strip()
