"""Intake's domain metrics: what it refused, and why."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

refusals: Final = Counter(
    "baocao_intake_refusals",
    "Requests answered with a 4xx, by the machine-readable reason code in the answer.",
    ["reason"],
)
