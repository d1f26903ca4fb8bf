"""Whether the unit a report names may send it: it exists, existed in the period, is not
closed, and is the unit of the NATS subject it came on. Pure.
"""

from __future__ import annotations

from datetime import datetime

from services.validator.domain.reasons import reason
from shared.periods import VIETNAM
from shared.registry import Registry, Unit
from shared.schemas import Reason, Submission


def envelope_reasons(
    submission: Submission,
    registry: Registry,
    unit: Unit | None,
    received_at: datetime,
    subject_unit: str | None,
) -> list[Reason]:
    reasons: list[Reason] = []
    if subject_unit is not None and subject_unit != submission.unit:
        reasons.append(
            reason(
                "subject_mismatch",
                f"Chủ đề NATS thuộc đơn vị {subject_unit}, báo cáo ghi {submission.unit}",
                f"Published for unit {subject_unit} but the report names {submission.unit}",
            )
        )
    if unit is None:
        reasons.append(
            reason(
                "unknown_unit",
                f"Không có đơn vị mã {submission.unit}",
                f"No unit has code {submission.unit}",
            )
        )
    elif received_at.astimezone(VIETNAM).date() < unit.valid_from:
        reasons.append(
            reason(
                "unit_not_yet_created",
                f"Đơn vị {unit.code} được thành lập từ {unit.valid_from:%d/%m/%Y}, sau kỳ báo cáo",
                f"Unit {unit.code} exists from {unit.valid_from}, after the period reported on",
            )
        )
    elif not unit.is_active_on(received_at.astimezone(VIETNAM).date()):
        successor = registry.get(unit.successor) if unit.successor else None
        after = f"; đơn vị kế thừa: {successor.code} {successor.name}" if successor else ""
        after_en = f"; its successor is {successor.code} {successor.name}" if successor else ""
        reasons.append(
            reason(
                "unit_closed",
                f"Đơn vị {unit.code} đã giải thể{after}",
                f"Unit {unit.code} is closed{after_en}",
            )
        )
    return reasons
