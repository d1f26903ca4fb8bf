"""A rejection's or a warning's reason, in Vietnamese for the unit and in English."""

from __future__ import annotations

from shared.schemas import Reason


def reason(code: str, vi: str, en: str, indicator: str | None = None) -> Reason:
    return Reason(code=code, message=vi, message_en=en, indicator=indicator)
