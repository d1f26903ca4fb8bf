"""The notifier's domain metrics: notices scheduled, sent and failed, and its loop's health."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

scheduled: Final = Counter(
    "baocao_notices_scheduled", "Notices added to the outbox, by stage.", ["stage"]
)
sent: Final = Counter(
    "baocao_notices_sent",
    "Notices delivered to their channel (for nats: acknowledged by JetStream).",
    ["stage", "channel"],
)
failed: Final = Counter(
    "baocao_notices_failed",
    "Attempts to deliver a notice that failed; retried with backoff, then dead-lettered.",
    ["stage", "channel"],
)
cancelled: Final = Counter(
    "baocao_notices_cancelled",
    "Deliveries cancelled because the reports they chase arrived before they were sent.",
)
skipped: Final = Counter(
    "baocao_notices_skipped",
    "Notices not sent because they could not be addressed (e.g. the sending unit is unknown).",
    ["reason"],
)
dead_lettered: Final = Counter(
    "baocao_notices_dead_lettered",
    "Deliveries given up after every attempt failed (or refused for good), by channel; each is"
    " announced on notify.deadletter.<recipient>.",
    ["channel"],
)
held: Final = Gauge(
    "baocao_notices_held",
    "Steps of the reminder policy due but held at the last tick: the edge of every unit they"
    " chase is silent (ADR 0024).",
)
held_deliveries: Final = Counter(
    "baocao_notice_deliveries_held",
    "Deliveries given back unsent because every unit they chase fell silent after they were"
    " scheduled; each is looked at again a tick later.",
)
unsent: Final = Gauge(
    "baocao_notices_unsent", "Deliveries (notice x channel) in the outbox waiting to be sent."
)
ticks: Final = Counter("baocao_notifier_ticks", "Scheduling rounds completed.")
tick_failures: Final = Counter(
    "baocao_notifier_tick_failures", "Scheduling rounds that failed and will be tried again."
)
