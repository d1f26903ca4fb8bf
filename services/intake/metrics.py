"""Intake's domain metrics: what it refused, and why."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

from services.intake.domain.refusals import SERVICE_UNAVAILABLE

refusals: Final = Counter(
    "baocao_intake_refusals",
    "Requests answered with a 4xx, by the machine-readable reason code in the answer.",
    ["reason"],
)


def count_refusal(reason: str) -> None:
    """Count a refused request (shared/problems.py calls it for every refusal it renders).

    An outage is not the caller's fault and is answered 503, not 4xx: the HTTP request metrics
    count it, and an alert watches those."""
    if reason != SERVICE_UNAVAILABLE:
        refusals.labels(reason).inc()
