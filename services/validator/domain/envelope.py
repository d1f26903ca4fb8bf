"""Whether the unit a report names may send it: it exists, existed in the period, is not
closed, and is the unit of the NATS subject it came on; and whether a mark of a paper report
keyed on its behalf stands. Pure.
"""

from __future__ import annotations

from datetime import datetime

from services.validator.domain.reasons import reason
from shared.identity.scopes import oversees
from shared.periods import VIETNAM
from shared.registry import Registry, Unit
from shared.schemas import Reason, Submission


def envelope_reasons(
    submission: Submission,
    registry: Registry,
    unit: Unit | None,
    received_at: datetime,
    subject_unit: str | None,
    keyed_channel: bool = False,
) -> list[Reason]:
    reasons: list[Reason] = keyed_reasons(submission, unit, keyed_channel)
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


def keyed_reasons(submission: Submission, unit: Unit | None, keyed_channel: bool) -> list[Reason]:
    """A ``keyed_by`` mark stands only on the subject intake alone publishes keyed reports on
    (intake checked it names the caller), and only for a unit the keying unit answers for."""
    keyed_by = submission.keyed_by
    if keyed_by is None:
        if not keyed_channel:
            return []
        return [
            reason(
                "keyed_by_missing",
                "Báo cáo nhập hộ phải ghi rõ ai nhập và lý do (keyed_by)",
                "A report keyed on a unit's behalf must say who keyed it and why (keyed_by)",
            )
        ]
    if not keyed_channel:
        return [
            reason(
                "keyed_by_not_allowed",
                "Chỉ báo cáo gửi qua cổng tiếp nhận (HTTP) mới được ghi là nhập hộ (keyed_by)",
                "Only a report sent through intake (HTTP) may be marked as keyed on a unit's"
                " behalf (keyed_by)",
            )
        ]
    if unit is not None and not oversees(keyed_by.unit, unit):
        return [
            reason(
                "keyed_by_not_overseeing",
                f"Đơn vị {keyed_by.unit} không quản lý đơn vị {unit.code} nên không được nhập hộ",
                f"Unit {keyed_by.unit} does not answer for unit {unit.code} and may not key its"
                " report",
            )
        ]
    return []
