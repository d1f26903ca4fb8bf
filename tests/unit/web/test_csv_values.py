"""A report's values from a CSV file: Excel's ways (BOM, semicolons, decimal commas), the
Vietnamese titles, and a clear problem per line."""

from __future__ import annotations

from services.web.domain.csv_values import CsvProblem, parse_csv, template
from services.web.domain.report_form import Field, fields_of
from shared.catalog import Catalog
from shared.catalog.schema import json_schema


def fields() -> list[Field]:
    report_type = Catalog.load().get("kl226-quarterly")
    assert report_type is not None
    return fields_of(json_schema(report_type, "/v1/catalog/kl226-quarterly"))


def test_comma_separated_with_a_header_fills_the_values_as_typed() -> None:
    data = b'indicator,value\ndocs_issued,80\nconference_budget_planned,"50,5"\n'
    result = parse_csv(data, fields())
    assert result.values == {"docs_issued": "80", "conference_budget_planned": "50,5"}
    assert result.problems == []


def test_excel_in_a_vietnamese_locale_bom_semicolons_and_decimal_commas() -> None:
    data = "\ufeffIndicator;Value\r\ndocs_issued;1.200\r\nconference_budget_spent;40,25\r\n"
    result = parse_csv(data.encode("utf-8"), fields())
    assert result.values == {"docs_issued": "1.200", "conference_budget_spent": "40,25"}
    assert result.problems == []


def test_vietnamese_headers_and_titles_in_place_of_codes() -> None:
    data = "chỉ tiêu;giá trị\nSố văn bản ban hành trong kỳ;80\nconferences_total;10\n"
    result = parse_csv(data.encode("utf-8"), fields())
    assert result.values == {"docs_issued": "80", "conferences_total": "10"}


def test_a_label_column_names_the_indicator_when_there_is_no_code_column() -> None:
    data = "label,value\nTổng số hội nghị, cuộc họp,10\n".encode()
    # the title holds a comma: unquoted, it splits the line and its value is not read
    assert parse_csv(data, fields()).problems[0].code == "unknown_indicator"
    quoted = 'label,value\n"Tổng số hội nghị, cuộc họp",10\n'.encode()
    assert parse_csv(quoted, fields()).values == {"conferences_total": "10"}


def test_each_problem_names_its_line() -> None:
    data = (
        "indicator,value\n"
        "docs_issued,80\n"
        "made_up,1\n"
        "conferences_total,mười\n"
        "docs_issued,81\n"
        "\n"
        "conferences_online,\n"
    ).encode()
    result = parse_csv(data, fields())
    assert result.problems == [
        CsvProblem(3, "unknown_indicator", "made_up"),
        CsvProblem(4, "bad_number", "conferences_total", "not_a_number"),
        CsvProblem(5, "duplicate", "docs_issued"),
    ]
    assert result.values == {"docs_issued": "80"}


def test_a_file_without_the_header_or_not_in_utf8_is_refused_whole() -> None:
    assert parse_csv(b"docs_issued,80\n", fields()).problems == [CsvProblem(1, "no_header")]
    latin = "indicator,value\nSố,1\n".encode("utf-16")
    assert parse_csv(latin, fields()).problems == [CsvProblem(0, "not_utf8")]
    assert parse_csv(b"x" * 70_000, fields()).problems == [CsvProblem(0, "too_large")]


def test_the_template_lists_every_indicator_and_reads_back_empty() -> None:
    content = template(fields(), {"document": "văn bản"})
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == "indicator,value,label,unit"
    assert "docs_issued,,Số văn bản ban hành trong kỳ,văn bản" in text
    assert len(text.splitlines()) == 1 + len(fields())
    assert parse_csv(content, fields()).problems == []
