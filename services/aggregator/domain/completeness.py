"""Completeness figures for operators: expected and submitted units, and the deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

NATION: Final = "VN"


@dataclass(frozen=True)
class CompletenessFigure:
    report_type: str
    period: str
    unit: str  # a province code, or NATION
    expected: int
    submitted: int


@dataclass(frozen=True)
class DeadlineFigure:
    report_type: str
    period: str
    level: str
    due: datetime
