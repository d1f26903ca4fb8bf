"""A report's values from a CSV file, and the template to fill. Pure: no I/O.

What is read:

- UTF-8, with or without a byte-order mark (Excel writes one); anything else is refused;
- separated by ``;`` when the header line has one (Excel in a Vietnamese locale writes ``;``
  and decimal commas), else by ``,`` (a decimal comma must then be quoted: ``"40,25"``);
- a header naming the columns, in any order and case: ``indicator`` (the catalog's code) and
  ``value``, also ``chỉ tiêu``/``chi_tieu`` and ``giá trị``/``gia_tri``; other columns (the
  template's ``label`` and ``unit``) are ignored. Without an ``indicator`` column a ``label``
  (``tên chỉ tiêu``) column names the indicator by its Vietnamese title;
- an indicator cell holding the Vietnamese title instead of the code is accepted too
  (compared after NFC and case folding);
- blank lines, and lines with a blank value, are skipped (the value stays empty).

Each problem names its line: an unknown indicator, a figure that cannot be read
(:func:`~services.web.domain.report_form.parse_number`'s rules), an indicator given twice.
The values come back as the text typed, to fill the form, which then checks them.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.web.domain.report_form import Field, NumberError, parse_number

MAX_BYTES = 64 * 1024
_INDICATOR = {"indicator", "chỉ tiêu", "chi_tieu", "chi tieu", "ma_chi_tieu", "mã chỉ tiêu"}
_VALUE = {"value", "giá trị", "gia_tri", "gia tri"}
_LABEL = {"label", "tên chỉ tiêu", "ten_chi_tieu", "tên"}


@dataclass(frozen=True)
class CsvProblem:
    line: int  # 1-based, the header is line 1; 0 for the file as a whole
    code: str  # too_large, not_utf8, no_header, unknown_indicator, bad_number, duplicate
    indicator: str = ""
    detail: str = ""


@dataclass
class CsvValues:
    values: dict[str, str] = field(default_factory=dict)
    problems: list[CsvProblem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def parse_csv(data: bytes, fields: Iterable[Field]) -> CsvValues:
    result = CsvValues()
    if len(data) > MAX_BYTES:
        result.problems.append(CsvProblem(0, "too_large"))
        return result
    try:
        text = unicodedata.normalize("NFC", data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        result.problems.append(CsvProblem(0, "not_utf8"))
        return result
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in header_line else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    by_name = {f.code.casefold(): f for f in fields}
    by_name.update({_key(f.title_vi): f for f in fields})
    columns = _columns(rows)
    if columns is None:
        result.problems.append(CsvProblem(1, "no_header"))
        return result
    header_at, name_column, value_column = columns
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        _read_row(number, row, name_column, value_column, by_name, result)
    return result


def _columns(rows: list[list[str]]) -> tuple[int, int, int] | None:
    """(header row index, the column naming the indicator, the value column)."""
    for index, row in enumerate(rows):
        if not any(cell.strip() for cell in row):
            continue
        names = [_key(cell) for cell in row]
        value = next((i for i, n in enumerate(names) if n in _VALUE), None)
        indicator = next((i for i, n in enumerate(names) if n in _INDICATOR), None)
        label = next((i for i, n in enumerate(names) if n in _LABEL), None)
        name = indicator if indicator is not None else label
        if value is None or name is None:
            return None
        return index, name, value
    return None


def _read_row(
    number: int,
    row: list[str],
    name_column: int,
    value_column: int,
    by_name: dict[str, Field],
    result: CsvValues,
) -> None:
    if not any(cell.strip() for cell in row):
        return
    name = row[name_column].strip() if name_column < len(row) else ""
    typed = row[value_column].strip() if value_column < len(row) else ""
    spec = by_name.get(_key(name))
    if spec is None:
        result.problems.append(CsvProblem(number, "unknown_indicator", name[:64]))
        return
    if spec.code in result.seen:
        result.problems.append(CsvProblem(number, "duplicate", spec.code))
        return
    result.seen.add(spec.code)
    if not typed:
        return
    try:
        parse_number(typed, spec.kind)
    except NumberError as error:
        result.problems.append(CsvProblem(number, "bad_number", spec.code, error.code))
        return
    result.values[spec.code] = typed


def template(fields: Iterable[Field], unit_names: dict[str, str]) -> bytes:
    """The file to fill: one line per indicator (code, empty value, Vietnamese title, unit in
    words), UTF-8 with a byte-order mark so Excel reads the diacritics, comma-separated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["indicator", "value", "label", "unit"])
    for spec in fields:
        writer.writerow([spec.code, "", spec.title_vi, unit_names.get(spec.unit, spec.unit)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
