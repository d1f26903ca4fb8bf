"""The report form as the catalog describes it, and the figures a person types into it. Pure:
no I/O.

How a typed figure is read (:func:`parse_number`), the same whatever the page's language,
Vietnamese habits first:

- spaces (also no-break and thin spaces) are dropped, full-width digits become ASCII (NFKC);
- with both ``.`` and ``,`` the last of them is the decimal mark and the other groups
  thousands: ``1.234,5`` and ``1,234.5`` are both 1234.5;
- a lone ``,`` is the decimal mark (``1234,5``, ``0,75``), except in an integer indicator
  before exactly three digits (``1,234`` there is 1234); several commas group thousands;
- a lone ``.`` followed by exactly three digits groups thousands, as Vietnamese writes them
  (``1.234`` is 1234); any other lone ``.`` is the decimal mark (``1234.5``, ``40.25``);
  several dots group thousands (``1.234.567``);
- thousands groups must have three digits (``1.23.4`` is not a number);
- an integer indicator must be whole (``12,0`` is 12; ``12,5`` is refused);
- a decimal is kept exact (:class:`~decimal.Decimal`) and sent as a JSON number only when that
  number reads back as the same value (:func:`json_number`): at most 15 significant digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.catalog.model import Deadline
from shared.periods import Period

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009]+")
_DIGITS = re.compile(r"[0-9]+")
EXACT_DIGITS = 15


@dataclass(frozen=True)
class RuleHint:
    """A rule between indicators, shown in words beside the field the validator names."""

    code: str
    message_vi: str
    message_en: str
    importance: str  # "error" or "warning"

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_vi


@dataclass(frozen=True)
class Field:
    code: str
    title_vi: str
    title_en: str
    unit: str
    kind: str  # "integer" or "decimal"
    required: bool
    help_vi: str = ""
    help_en: str = ""
    hints: tuple[RuleHint, ...] = ()

    def label(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_vi

    @property
    def inputmode(self) -> str:
        return "numeric" if self.kind == "integer" else "decimal"

    @property
    def unit_key(self) -> str:
        """The text key of the unit of measure: ``million VND`` -> ``commune.unit.million_vnd``."""
        return "commune.unit." + self.unit.strip().lower().replace(" ", "_")


def fields_of(schema: Mapping[str, Any]) -> list[Field]:
    """The indicators of a report type's JSON Schema, in the catalog's order, each with the
    rules that name it first (where the validator files a rule's reason)."""
    values = schema.get("properties", {}).get("values", {})
    required = set(values.get("required", []))
    properties: Mapping[str, Any] = values.get("properties", {})
    hints = _hints_by_indicator(schema.get("x-baocao-rules", []), list(properties))
    fields = []
    for code, spec in properties.items():
        kinds = spec.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        help_text = spec.get("x-help") or {}
        fields.append(
            Field(
                code=code,
                title_vi=spec.get("title", code),
                title_en=spec.get("description", code),
                unit=spec.get("x-unit", ""),
                kind="integer" if "integer" in kinds else "decimal",
                required=code in required,
                help_vi=help_text.get("vi", ""),
                help_en=help_text.get("en", ""),
                hints=tuple(hints.get(code, ())),
            )
        )
    return fields


def _hints_by_indicator(
    rules: Iterable[Mapping[str, Any]], codes: list[str]
) -> dict[str, list[RuleHint]]:
    known = set(codes)
    result: dict[str, list[RuleHint]] = {}
    for rule in rules:
        named = [
            name
            for side in (rule.get("left", ""), rule.get("right", ""))
            for name in _IDENTIFIER.findall(str(side))
            if name in known
        ]
        if not named:
            continue
        message = rule.get("message", {})
        hint = RuleHint(
            code=str(rule.get("code", "")),
            message_vi=str(message.get("vi", "")),
            message_en=str(message.get("en", "")),
            importance=str(rule.get("importance", "error")),
        )
        result.setdefault(named[0], []).append(hint)
    return result


def due_date(schema: Mapping[str, Any], level: str, period: str) -> date | None:
    """The day ``level``'s reports for ``period`` are due, from ``x-baocao-deadlines``."""
    for entry in schema.get("x-baocao-deadlines", []):
        if entry.get("level") == level:
            rule = Deadline(**{k: v for k, v in entry.items() if k != "level"})
            return rule.due_date(Period.parse(period))
    return None


class NumberError(ValueError):
    """A typed figure that cannot be read; ``code`` keys the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_number(text: str, kind: str) -> int | Decimal | None:
    """The figure in ``text`` (see the module's docstring), None when blank. Raises
    :class:`NumberError` with ``not_a_number``, ``not_whole`` or ``too_many_digits``."""
    plain = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    if not plain:
        return None
    sign = ""
    if plain[0] in "+-":
        sign, plain = ("-" if plain[0] == "-" else ""), plain[1:]
    try:
        value = Decimal(sign + _canonical(plain, kind))
    except InvalidOperation:
        raise NumberError("not_a_number") from None
    if kind == "integer":
        if value != value.to_integral_value():
            raise NumberError("not_whole")
        return int(value)
    json_number(value)  # refuses what would not travel exactly
    return value


def _canonical(text: str, kind: str) -> str:
    """``text`` with its thousands marks dropped and ``.`` as the decimal mark."""
    if not text or any(c not in "0123456789.," for c in text):
        raise NumberError("not_a_number")
    marks = [c for c in text if c in ".,"]
    if not marks:
        return text
    if len(set(marks)) == 2:
        decimal_mark = marks[-1]
        if marks.count(decimal_mark) > 1:
            raise NumberError("not_a_number")
        whole, fraction = text.rsplit(decimal_mark, 1)
        return _ungrouped(whole, marks[0]) + "." + _digits(fraction)
    mark = marks[0]
    if len(marks) > 1:
        return _ungrouped(text, mark)
    whole, fraction = text.split(mark)
    grouping = mark == "." or kind == "integer"
    if grouping and len(fraction) == 3 and 1 <= len(whole) <= 3:
        return _ungrouped(text, mark)
    return _digits(whole) + "." + _digits(fraction)


def _ungrouped(text: str, mark: str) -> str:
    head, *groups = text.split(mark)
    if not (1 <= len(head) <= 3) or any(len(g) != 3 for g in groups):
        raise NumberError("not_a_number")
    return _digits(head) + "".join(_digits(g) for g in groups)


def _digits(text: str) -> str:
    if not _DIGITS.fullmatch(text):
        raise NumberError("not_a_number")
    return text


def json_number(value: int | Decimal) -> int | float:
    """``value`` as a JSON number that reads back exactly: an int when whole, else a float whose
    shortest form is the same decimal. More than 15 significant digits cannot promise that:
    ``too_many_digits``."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise NumberError("too_many_digits")
    return number


def typed_text(value: object, lang: str) -> str:
    """A stored value (int, or a decimal as a string) as a person would type it: no thousands
    marks, the language's decimal mark (``40,25`` in Vietnamese)."""
    if value is None or value == "":
        return ""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",") if lang == "vi" else text


@dataclass
class ReadValues:
    """The values a form carried: what to send, and each field's local problem."""

    values: dict[str, int | float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_values(fields: Iterable[Field], typed: Mapping[str, str]) -> ReadValues:
    """Each field's typed text read as a number; blanks are left out (the validator says
    ``missing_value`` for a required one)."""
    result = ReadValues()
    for spec in fields:
        try:
            value = parse_number(typed.get(spec.code, ""), spec.kind)
            if value is not None:
                result.values[spec.code] = json_number(value)
        except NumberError as error:
            result.errors[spec.code] = error.code
    return result


@dataclass
class PlacedReasons:
    """A verdict's reasons and warnings placed next to the fields they concern; the rest
    (envelope, period, lock) go to the top of the form."""

    by_field: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    general: list[dict[str, Any]] = field(default_factory=list)
    warnings_by_field: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    general_warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.by_field or self.general)


def place_reasons(
    fields: Iterable[Field],
    reasons: Iterable[Mapping[str, Any]],
    warnings: Iterable[Mapping[str, Any]] = (),
) -> PlacedReasons:
    codes = {f.code for f in fields}
    placed = PlacedReasons()
    for items, by_field, general in (
        (reasons, placed.by_field, placed.general),
        (warnings, placed.warnings_by_field, placed.general_warnings),
    ):
        for item in items:
            indicator = item.get("indicator")
            if indicator in codes:
                by_field.setdefault(str(indicator), []).append(dict(item))
            else:
                general.append(dict(item))
    return placed
