"""How figures, times and periods read on a page: Vietnamese first (1.234,5; 10/12/2026),
English when switched on. Pure: no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from shared.periods import VIETNAM, InvalidPeriod, Period

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
_SEPARATORS = {"vi": (".", ","), "en": (",", ".")}  # (thousands, decimal)


def language(value: str | None) -> Language:
    return "en" if value == "en" else "vi"


def number(
    value: float | int | Decimal | str | None, lang: Language = "vi", places: int = 2
) -> str:
    """A figure with the language's separators and at most ``places`` decimals, trailing
    zeros dropped: 1234.5 -> 1.234,5 (vi), 1,234.5 (en). None reads as an en dash."""
    if value is None or value == "":
        return "–"
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    sign = "-" if exact < 0 else ""
    whole, _, fraction = f"{abs(exact):f}".partition(".")
    fraction = fraction.rstrip("0")
    thousands, decimal_mark = _SEPARATORS[lang]
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    grouped = thousands.join([whole, *groups])
    return f"{sign}{grouped}{decimal_mark}{fraction}" if fraction else f"{sign}{grouped}"


def percent(value: float | int | None, lang: Language = "vi") -> str:
    return "–" if value is None else f"{number(value, lang, 1)}%"


def local_time(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VIETNAM)


def day(value: datetime | str | None) -> str:
    """dd/mm/yyyy in Vietnam time, as Vietnamese documents write dates."""
    moment = local_time(value)
    return "–" if moment is None else moment.strftime("%d/%m/%Y")


def day_and_time(value: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM:SS in Vietnam time: an official time shows its seconds."""
    moment = local_time(value)
    return "–" if moment is None else moment.strftime("%d/%m/%Y %H:%M:%S")


def time_and_day(value: datetime | str | None) -> str:
    """HH:MM dd/mm/yyyy in Vietnam time, as a sentence says when something happened."""
    moment = local_time(value)
    return "–" if moment is None else moment.strftime("%H:%M %d/%m/%Y")


_STAGE = re.compile(r"(?P<to>unit|parent|central)(?P<days>[+-][0-9]+)")


def stage_when(stage: str, lang: Language = "vi") -> str:
    """A reminder stage as people say it: ``unit-3`` -> 3 ngày làm việc trước hạn (vi), 3
    working days before the deadline (en); ``parent+1`` -> 1 ngày làm việc sau hạn; ``unit+0``
    -> đúng ngày hạn. Anything else reads as itself."""
    match = _STAGE.fullmatch(stage)
    if match is None:
        return stage
    days = int(match["days"])
    if days == 0:
        return "đúng ngày hạn" if lang == "vi" else "on the due day"
    if lang == "vi":
        return f"{abs(days)} ngày làm việc {'trước' if days < 0 else 'sau'} hạn"
    plural = "s" if abs(days) != 1 else ""
    return f"{abs(days)} working day{plural} {'before' if days < 0 else 'after'} the deadline"


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_name(label: str, lang: Language = "vi") -> str:
    """2026-Q4 -> Quý IV/2026 (vi), Q4 2026 (en)."""
    try:
        period = Period.parse(label)
    except InvalidPeriod:
        return label
    year = period.year
    if period.months == 1:
        return (
            f"Tháng {period.first_month:02d}/{year}"
            if lang == "vi"
            else f"{year}-{period.first_month:02d}"
        )
    if period.months == 3:
        quarter = (period.first_month - 1) // 3 + 1
        return f"Quý {_ROMAN[quarter]}/{year}" if lang == "vi" else f"Q{quarter} {year}"
    if period.months == 6:
        first = period.first_month == 1
        if lang == "vi":
            return f"6 tháng {'đầu' if first else 'cuối'} năm {year}"
        return f"H{1 if first else 2} {year}"
    return f"Năm {year}" if lang == "vi" else str(year)
