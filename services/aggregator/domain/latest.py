"""Which accepted submission is a unit's current report. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from shared.schemas import Verdict

ReportKey = tuple[str, str, str]


def newest_first_key(verdict: Verdict) -> tuple[object, int, str]:
    """The later intake receipt wins; on an exact tie, the later-stored message (JetStream's
    sequence), then the submission id, so every replica and every replay agrees."""
    return (verdict.received_at, verdict.stream_seq, verdict.submission_id)


def latest_per_report(verdicts: Iterable[Verdict]) -> dict[ReportKey, Verdict]:
    """The newest accepted verdict per (report type, period, unit) in ``verdicts``."""
    latest: dict[ReportKey, Verdict] = {}
    for verdict in verdicts:
        if verdict.status != "accepted":
            continue
        key = (verdict.report_type, verdict.period, verdict.unit)
        current = latest.get(key)
        if current is None or newest_first_key(verdict) > newest_first_key(current):
            latest[key] = verdict
    return latest
