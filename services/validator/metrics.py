"""The validator's domain metrics: what it judged, and why it rejected."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final

from prometheus_client import Counter

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
late: Final = Counter(
    "baocao_submissions_late",
    "Accepted submissions received after their deadline (a rejected one has no timeliness).",
    ["report_type"],
)


def count_judged(verdicts: Iterable[Verdict], known_report_types: Collection[str]) -> None:
    """Count newly judged verdicts. A report type outside the catalog is labelled "unknown":
    a label takes no value a submitter can invent, or the series would grow without bound."""
    for verdict in verdicts:
        report_type = (
            verdict.report_type if verdict.report_type in known_report_types else "unknown"
        )
        received.labels(report_type).inc()
        if verdict.timeliness == "late":
            late.labels(report_type).inc()
        if verdict.status == "accepted":
            accepted.labels(report_type, verdict.timeliness or "on_time").inc()
        else:
            reason = verdict.reasons[0].code if verdict.reasons else "unspecified"
            rejected.labels(report_type, reason).inc()
