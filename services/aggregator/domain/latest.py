"""Which accepted submission is a unit's current report: the merge rule. Pure.

This is the one statement of the rule. The batch fold (``latest_per_report``), the rollup
store's choice under its row locks (``merged``), the rebuild and the in-memory fake all call
it; the upsert's SQL in ``adapters/latest_reports_sql.py`` says the same for the rows two
writers race on, and ``tests/integration/contracts/test_merge_rule_sql.py`` checks, over
generated reports against PostgreSQL, that the row it keeps is the one ``merged`` chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from shared.report_order import report_order
from shared.schemas import Verdict

ReportKey = tuple[str, str, str]  # report type, period, unit
ON_TIME = "on_time"


class Ordered(Protocol):
    """What the rule reads of a report: when it came, and whether it came in time."""

    @property
    def received_at(self) -> datetime: ...
    @property
    def stream_seq(self) -> int: ...
    @property
    def submission_id(self) -> str: ...
    @property
    def timeliness(self) -> str | None: ...


R = TypeVar("R", bound=Ordered)


def is_on_time(timeliness: str | None) -> bool:
    return (timeliness or ON_TIME) == ON_TIME


def merged(current: R | None, incoming: R, on_time: Callable[[R], R]) -> R:
    """A unit's report once ``incoming`` meets ``current``: the newer one's figures, on time if
    either was (on time once, on time for good, whatever order they come in; DHIS2 likewise
    keeps the date of the first completion). ``on_time`` marks a report on time."""
    if current is None:
        return incoming
    newer = incoming if report_order(incoming) > report_order(current) else current
    if not is_on_time(newer.timeliness) and (
        is_on_time(current.timeliness) or is_on_time(incoming.timeliness)
    ):
        return on_time(newer)
    return newer


def latest_per_report(verdicts: Iterable[Verdict]) -> dict[ReportKey, Verdict]:
    """The current report per (report type, period, unit) among the accepted ``verdicts``."""
    latest: dict[ReportKey, Verdict] = {}
    for verdict in verdicts:
        if verdict.status != "accepted":
            continue
        key = (verdict.report_type, verdict.period, verdict.unit)
        latest[key] = merged(latest.get(key), verdict, _verdict_on_time)
    return latest


def _verdict_on_time(verdict: Verdict) -> Verdict:
    return verdict.model_copy(update={"timeliness": ON_TIME})


@dataclass(frozen=True)
class StoredReport:
    """A unit's current report as the rollup store keeps it (values as stored JSON)."""

    unit: str
    submission_id: str
    received_at: datetime
    timeliness: str
    values: Mapping[str, Any]
    stream_seq: int = 0

    @staticmethod
    def of(verdict: Verdict) -> StoredReport:
        return StoredReport(
            verdict.unit,
            verdict.submission_id,
            verdict.received_at,
            verdict.timeliness or ON_TIME,
            {k: str(v) if isinstance(v, Decimal) else v for k, v in (verdict.values or {}).items()},
            verdict.stream_seq,
        )


def merged_report(current: StoredReport | None, incoming: StoredReport) -> StoredReport:
    """``merged`` for stored reports."""
    return merged(current, incoming, _stored_on_time)


def _stored_on_time(report: StoredReport) -> StoredReport:
    return replace(report, timeliness=ON_TIME)


# A unit's report before (None: it had none) and after a batch moved it forward.
Change = tuple[StoredReport | None, StoredReport]


def moved_forward(
    before: Mapping[ReportKey, StoredReport], incoming: Mapping[ReportKey, StoredReport]
) -> dict[ReportKey, Change]:
    """The reports ``incoming`` changes, with what they were: a replayed or older report
    changes nothing. In key order."""
    changes: dict[ReportKey, Change] = {}
    for key, report in sorted(incoming.items()):
        old = before.get(key)
        new = merged_report(old, report)
        if new != old:
            changes[key] = (old, new)
    return changes
