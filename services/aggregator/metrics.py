"""The aggregator's domain metrics: completeness of the periods with live deadlines, the live
feed and exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from prometheus_client import Counter, Gauge

from services.aggregator.domain.completeness import CompletenessFigure, DeadlineFigure

completeness_ratio: Final = Gauge(
    "baocao_rollup_completeness_ratio",
    "Share of expected units with an accepted report, by province (unit) and for the nation"
    " (unit=VN).",
    ["report_type", "period", "unit"],
)
expected_units: Final = Gauge(
    "baocao_rollup_expected_units",
    "Units expected to report.",
    ["report_type", "period", "unit"],
)
submitted_units: Final = Gauge(
    "baocao_rollup_submitted_units",
    "Units with an accepted report.",
    ["report_type", "period", "unit"],
)
deadline: Final = Gauge(
    "baocao_report_deadline_timestamp_seconds",
    "When a level's reports for the period are due, as a Unix time.",
    ["report_type", "period", "level"],
)


def show(figures: Iterable[CompletenessFigure], deadlines: Iterable[DeadlineFigure]) -> None:
    """Replace what the gauges show. Periods that left the window disappear with the clear;
    nothing awaits in between, so a scrape never sees half a refresh."""
    for gauge in (completeness_ratio, expected_units, submitted_units, deadline):
        gauge.clear()
    for f in figures:
        labels = (f.report_type, f.period, f.unit)
        expected_units.labels(*labels).set(f.expected)
        submitted_units.labels(*labels).set(f.submitted)
        completeness_ratio.labels(*labels).set(f.submitted / f.expected if f.expected else 1.0)
    for d in deadlines:
        deadline.labels(d.report_type, d.period, d.level).set(d.due.timestamp())


# The live feed. Report types reaching the feed are the catalog's (verdicts for others are
# dropped before), so the label stays a small set.
feed_updates: Final = Counter(
    "baocao_feed_updates",
    "Rollup updates for the live feed, by report type: outcome=published (a new state on"
    " rollups.updated.>), unchanged (the subject's last message already says it), or"
    " superseded (it holds a read made after a later commit).",
    ["report_type", "outcome"],
)
feed_failures: Final = Counter(
    "baocao_feed_publish_failures",
    "Batches whose rollup updates could not be published; the batch is redelivered.",
    ["report_type"],
)
feed_clients: Final = Gauge(
    "baocao_feed_clients",
    "Server-Sent Events clients connected to /v1/feed.",
)
feed_events_sent: Final = Counter(
    "baocao_feed_events_sent",
    "Rollup updates sent to Server-Sent Events clients.",
)
feed_refusals: Final = Counter(
    "baocao_feed_refusals",
    "Server-Sent Events connections refused because AGGREGATOR_FEED_MAX_CLIENTS were open.",
)
exports_rendered: Final = Counter(
    "baocao_exports",
    "Rollup exports served, by format.",
    ["format"],
)
