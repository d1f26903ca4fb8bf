"""Which accepted submission is a unit's current report. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from shared.schemas import Verdict

ReportKey = tuple[str, str, str]
ON_TIME = "on_time"


def newest_first_key(verdict: Verdict) -> tuple[object, int, str]:
    """The later intake receipt wins; on an exact tie, the later-stored message (JetStream's
    sequence), then the submission id, so every replica and every replay agrees."""
    return (verdict.received_at, verdict.stream_seq, verdict.submission_id)


def is_on_time(timeliness: str | None) -> bool:
    return (timeliness or ON_TIME) == ON_TIME


def latest_per_report(verdicts: Iterable[Verdict]) -> dict[ReportKey, Verdict]:
    """The newest accepted verdict per (report type, period, unit) in ``verdicts``, on time if
    any of them was: a unit that reported on time stays on time when it corrects its report
    after the deadline (DHIS2 likewise keeps the date of the first completion)."""
    latest: dict[ReportKey, Verdict] = {}
    on_time: set[ReportKey] = set()
    for verdict in verdicts:
        if verdict.status != "accepted":
            continue
        key = (verdict.report_type, verdict.period, verdict.unit)
        if is_on_time(verdict.timeliness):
            on_time.add(key)
        current = latest.get(key)
        if current is None or newest_first_key(verdict) > newest_first_key(current):
            latest[key] = verdict
    for key in on_time:
        if not is_on_time(latest[key].timeliness):
            latest[key] = latest[key].model_copy(update={"timeliness": ON_TIME})
    return latest
