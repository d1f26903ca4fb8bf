"""The validator's domain metrics: what it judged, and why it rejected."""

from __future__ import annotations

from collections import Counter as TallyCounter
from collections.abc import Collection, Iterable
from typing import Final

from prometheus_client import Counter, Gauge

from shared.schemas import Verdict

received: Final = Counter(
    "baocao_submissions_received",
    "Submissions judged for the first time (a redelivered or re-sent one is not counted again).",
    ["report_type"],
)
accepted: Final = Counter(
    "baocao_submissions_accepted",
    "Submissions accepted, on time or late.",
    ["report_type", "timeliness"],
)
rejected: Final = Counter(
    "baocao_submissions_rejected",
    "Submissions rejected, once each, by their first reason code.",
    ["report_type", "reason"],
)
signed_time: Final = Counter(
    "baocao_submissions_counted_from_signed_time",
    "Submissions judged by their unit's signed time: signed while the hub heard nothing from"
    " the unit's edge (docs/weak-networks.md).",
    ["report_type"],
)
late: Final = Counter(
    "baocao_submissions_late",
    "Accepted submissions received after their deadline (a rejected one has no timeliness).",
    ["report_type"],
)


def count_judged(verdicts: Iterable[Verdict], known_report_types: Collection[str]) -> None:
    """Count newly judged verdicts, one increment per label set and batch rather than per
    verdict. A report type outside the catalog is labelled "unknown": a label takes no value
    a submitter can invent, or the series would grow without bound."""
    counts: TallyCounter[tuple[str, ...]] = TallyCounter()
    for verdict in verdicts:
        report_type = (
            verdict.report_type if verdict.report_type in known_report_types else "unknown"
        )
        counts["received", report_type] += 1
        if verdict.timeliness == "late":
            counts["late", report_type] += 1
        if verdict.counted_from is not None and verdict.counted_from.basis == "signed":
            counts["signed_time", report_type] += 1
        if verdict.status == "accepted":
            counts["accepted", report_type, verdict.timeliness or "on_time"] += 1
        else:
            reason = verdict.reasons[0].code if verdict.reasons else "unspecified"
            counts["rejected", report_type, reason] += 1
    for (name, *labels), count in counts.items():
        _COUNTERS[name].labels(*labels).inc(count)


_COUNTERS: Final = {
    "received": received,
    "late": late,
    "signed_time": signed_time,
    "accepted": accepted,
    "rejected": rejected,
}

silent_edges: Final = Gauge(
    "baocao_edges_silent",
    "Edges the hub has heard nothing from for over 10 s, at the link watch's last look.",
)
sourced_edges: Final = Gauge(
    "baocao_edges_sourced", "Edges the hub's landing streams source, at the last look."
)


def edges_silent(silent: int, sourced: int) -> None:
    silent_edges.set(silent)
    sourced_edges.set(sourced)


approval_steps: Final = Counter(
    "baocao_approval_steps",
    "Approval steps taken (a repeated approve or accept changes nothing and is not counted).",
    ["step", "level"],
)
approval_refusals: Final = Counter(
    "baocao_approval_refusals",
    "Approval steps refused, by reason code.",
    ["step", "reason"],
)
