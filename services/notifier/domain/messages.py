"""The text of reminders, escalations and rejections, Vietnamese first."""

from __future__ import annotations

from collections.abc import Sequence

from services.notifier.domain.schedule import Due
from shared.periods import VIETNAM
from shared.schemas import Reason


def render(due: Due) -> tuple[str, str]:
    deadline = due.deadline.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")
    title_vi, title_en = due.report_type.title.vi, due.report_type.title.en
    unit = f"{due.unit.name} ({due.unit.code})"
    if due.stage == "reminder":
        return (
            f'Nhắc nhở: {unit} chưa nộp "{title_vi}" kỳ {due.period.label}. Hạn chót {deadline}.'
            f" Nộp qua POST /v1/submissions hoặc lệnh: baocao submit <tệp.json>",
            f'Reminder: {unit} has not submitted "{title_en}" for {due.period.label}. Deadline {deadline}.'
            f" Submit with POST /v1/submissions or: baocao submit <file.json>",
        )
    return (
        f'Quá hạn: {unit} chưa nộp "{title_vi}" kỳ {due.period.label} (hạn chót {deadline}).',
        f'Overdue: {unit} has not submitted "{title_en}" for {due.period.label} (deadline {deadline}).',
    )


def render_rejection(
    submission_id: str, report_title: tuple[str, str], period: str, reasons: Sequence[Reason]
) -> tuple[str, str]:
    """Tell the submitter why a report was not accepted, every reason, and what to do."""
    title_vi, title_en = report_title
    why_vi = "; ".join(r.message for r in reasons) or "không rõ lý do"
    why_en = "; ".join(r.message_en for r in reasons) or "no reason given"
    return (
        f'Báo cáo "{title_vi}" kỳ {period} (mã {submission_id}) không được chấp nhận: {why_vi}.'
        " Sửa và gửi lại với mã nộp mới.",
        f'The report "{title_en}" for {period} (id {submission_id}) was not accepted: {why_en}.'
        " Correct it and send it again under a new submission id.",
    )
