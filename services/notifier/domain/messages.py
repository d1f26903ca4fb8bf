"""The text of every notice, from templates: Vietnamese first, English as the fallback.

A template is a ``string.Template`` per (message, language). A message with no Vietnamese
template is rendered from the English one (and never the other way round: English is the
fallback every message has). Each message names the report, the period, the deadline and what is
missing, and says how to submit: the intake URL and the ``baocao submit`` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from string import Template

from services.notifier.domain.schedule import Planned
from services.notifier.domain.silent_edges import Silent, late_and_offline
from shared.periods import VIETNAM
from shared.registry import Unit
from shared.schemas import Reason
from shared.workdays import working_days_between

Language = str  # "vi" | "en"
# At most this many units are listed by name in a digest's text; all are in its `late` field.
LISTED = 50

TEMPLATES: dict[tuple[str, Language], tuple[str, str]] = {
    ("reminder", "vi"): (
        'Nhắc nhở: chưa nộp "$title" kỳ $period (hạn $deadline)',
        '$unit chưa nộp báo cáo "$title" kỳ $period. Hạn chót: $deadline ($when).\n'
        "Nộp tại $submit_url hoặc bằng lệnh: baocao submit <tệp.json>",
    ),
    ("reminder", "en"): (
        'Reminder: "$title" for $period not yet submitted (due $deadline)',
        '$unit has not submitted "$title" for $period. Deadline: $deadline ($when).\n'
        "Submit at $submit_url or with: baocao submit <file.json>",
    ),
    ("escalation_parent", "vi"): (
        'Quá hạn: $count đơn vị chưa nộp "$title" kỳ $period',
        '$count đơn vị trực thuộc $unit chưa nộp "$title" kỳ $period (hạn chót $deadline):\n'
        "$listed$offline\n"
        "Đề nghị đôn đốc các đơn vị nộp tại $submit_url (lệnh: baocao submit <tệp.json>).",
    ),
    ("escalation_parent", "en"): (
        'Overdue: $count units have not submitted "$title" for $period',
        '$count units under $unit have not submitted "$title" for $period (deadline $deadline):\n'
        "$listed$offline\n"
        "Please have them submit at $submit_url (command: baocao submit <file.json>).",
    ),
    ("escalation_central", "vi"): (
        'Tổng hợp quá hạn: $count tỉnh, thành phố chưa đủ báo cáo "$title" kỳ $period',
        '$count tỉnh, thành phố chưa đủ báo cáo cấp $level "$title" kỳ $period'
        " (hạn chót $deadline; $missing đơn vị chưa nộp):\n$listed",
    ),
    ("escalation_central", "en"): (
        'Overdue summary: $count provinces behind on "$title" for $period',
        '$count provinces are behind on $level reports "$title" for $period'
        " (deadline $deadline; $missing units missing):\n$listed",
    ),
    ("rejection", "vi"): (
        'Báo cáo "$title" kỳ $period không được chấp nhận',
        'Báo cáo "$title" kỳ $period (mã $submission_id) không được chấp nhận: $why.'
        " Sửa và gửi lại với mã nộp mới tại $submit_url (lệnh: baocao submit <tệp.json>).",
    ),
    ("rejection", "en"): (
        'The report "$title" for $period was not accepted',
        'The report "$title" for $period (id $submission_id) was not accepted: $why.'
        " Correct it and send it again under a new submission id at $submit_url"
        " (command: baocao submit <file.json>).",
    ),
}
LEVEL_NAMES = {"commune": ("xã", "commune"), "province": ("tỉnh", "province")}


@dataclass(frozen=True)
class Rendered:
    subject_vi: str
    body_vi: str
    subject_en: str
    body_en: str


def render(key: str, values: dict[str, str]) -> Rendered:
    english = TEMPLATES[(key, "en")]
    vietnamese = TEMPLATES.get((key, "vi"), english)
    vi_values = {**values, **{k[:-3]: v for k, v in values.items() if k.endswith("_vi")}}
    subject_vi, body_vi = (Template(t).safe_substitute(vi_values) for t in vietnamese)
    subject_en, body_en = (Template(t).safe_substitute(values) for t in english)
    return Rendered(subject_vi, body_vi, subject_en, body_en)


def deadline_text(deadline: datetime) -> str:
    return deadline.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def render_planned(planned: Planned, submit_url: str, silent: Silent | None = None) -> Rendered:
    """The text of a planned step. A digest to a parent names its units whose edge is
    ``silent`` as offline since when, apart from the late ones (``domain/silent_edges.py``)."""
    report_type = planned.report_type
    common = {
        "title": report_type.title.en,
        "title_vi": report_type.title.vi,
        "period": planned.period.label,
        "deadline": deadline_text(planned.deadline),
        "unit": f"{planned.recipient.name} ({planned.recipient.code})",
        "submit_url": submit_url,
        "count": str(len(planned.late)),
    }
    if planned.step.to.value == "unit":
        days = -planned.step.working_days
        due = planned.deadline.astimezone(VIETNAM).date()
        if planned.planned_on is not None:  # a step caught up late has fewer days left
            days -= working_days_between(planned.step.send_on(due), planned.planned_on)
        when_vi, when_en = _when(days)
        return render("reminder", {**common, "when": when_en, "when_vi": when_vi})
    if planned.step.to.value == "parent":
        late, offline = late_and_offline(planned.late, silent or {})
        listed = "\n".join(f"- {u.name} ({u.code})" for u in late[:LISTED])
        if len(late) > LISTED:
            listed += f"\n- ... (+{len(late) - LISTED})"
        return render(
            "escalation_parent",
            {**common, "count": str(len(late)), "listed": listed, **_offline_lines(offline)},
        )
    lines = [
        f"- {p.province.name} ({p.province.code}): {p.submitted}/{p.expected} ({p.rate_pct}%)"
        for p in planned.behind[:LISTED]
    ]
    level_vi, level_en = LEVEL_NAMES.get(planned.level.value, (planned.level.value,) * 2)
    return render(
        "escalation_central",
        {
            **common,
            "count": str(len(planned.behind)),
            "missing": str(len(planned.late)),
            "listed": "\n".join(lines),
            "level": level_en,
            "level_vi": level_vi,
        },
    )


def _offline_lines(offline: Sequence[tuple[Unit, datetime]]) -> dict[str, str]:
    """A digest's units offline, in both languages; nothing when there are none."""
    if not offline:
        return {"offline": ""}
    shown = offline[:LISTED]
    more = f"\n- ... (+{len(offline) - LISTED})" if len(offline) > LISTED else ""
    vi = "".join(f"\n- {u.name} ({u.code}): mất kết nối từ {deadline_text(t)}" for u, t in shown)
    en = "".join(
        f"\n- {u.name} ({u.code}): offline (edge silent since {deadline_text(t)})" for u, t in shown
    )
    heading_vi = f"{len(offline)} đơn vị mất kết nối, báo cáo có thể đang trên đường gửi về:"
    heading_en = f"{len(offline)} units offline, their reports may be on their way:"
    return {"offline_vi": f"\n{heading_vi}{vi}{more}", "offline": f"\n{heading_en}{en}{more}"}


def _when(days_left: int) -> tuple[str, str]:
    if days_left == 0:
        return "hôm nay", "today"
    plural = "s" if abs(days_left) > 1 else ""
    if days_left > 0:
        return f"còn {days_left} ngày làm việc", f"{days_left} working day{plural} left"
    return f"quá hạn {-days_left} ngày làm việc", f"{-days_left} working day{plural} overdue"


def render_rejection(
    submission_id: str,
    report_title: tuple[str, str],
    period: str,
    reasons: Sequence[Reason],
    submit_url: str,
) -> Rendered:
    """Tell the submitter why a report was not accepted, every reason, and what to do."""
    title_vi, title_en = report_title
    return render(
        "rejection",
        {
            "title": title_en,
            "title_vi": title_vi,
            "period": period,
            "submission_id": submission_id,
            "why": "; ".join(r.message_en for r in reasons) or "no reason given",
            "why_vi": "; ".join(r.message for r in reasons) or "không rõ lý do",
            "submit_url": submit_url,
        },
    )
