"""The text of reminders and escalations, Vietnamese first."""

from __future__ import annotations

from services.notifier.domain.schedule import Due
from shared.periods import VIETNAM


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
