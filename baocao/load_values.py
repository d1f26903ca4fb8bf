"""Made-up figures for a load round: each report type's values, an invalid variant, more communes.

The figures are plausible (they pass the validator's rules) and drawn from the caller's random
generator, so a seed gives the same round every time.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from shared.catalog import Level
from shared.registry import Registry, Unit

SYNTHETIC_CODES_FROM = 40000


def kl226_values(rng: random.Random, scale: int) -> dict[str, Any]:
    prev = rng.randint(150, 600) * scale
    total_conferences = rng.randint(8, 40) * scale
    in_person = round(total_conferences * rng.uniform(0.2, 0.55))
    procedures = rng.randint(400, 5000) * scale
    reports = rng.randint(15, 60) * scale
    planned = Decimal(rng.randint(5000, 30000) * scale) / 100
    return {
        "docs_issued": round(prev * rng.uniform(0.7, 1.0)),
        "docs_issued_prev_year": prev,
        "conferences_total": total_conferences,
        "conferences_in_person": in_person,
        "conferences_online": total_conferences - in_person,
        "conferences_over_duration": rng.randint(0, total_conferences // 5),
        "procedures_total": procedures,
        "procedures_online": round(procedures * rng.uniform(0.85, 1.0)),
        "reports_total": reports,
        "reports_over_network": round(reports * rng.uniform(0.9, 1.0)),
        "conference_budget_planned": planned,
        "conference_budget_spent": (
            planned * Decimal(str(round(rng.uniform(0.8, 1.12), 2)))
        ).quantize(Decimal("0.01")),
    }


def lg2_values(rng: random.Random, scale: int) -> dict[str, Any]:
    positions = rng.randint(30, 60) * scale
    received = rng.randint(200, 3000) * scale
    return {
        "staff_positions": positions,
        "staff_in_post": positions - rng.randint(0, 5),
        "key_posts_vacant": rng.randint(0, 2),
        "training_sessions": rng.randint(0, 6),
        "staff_trained": rng.randint(0, 80) * scale,
        "procedures_received": received,
        "procedures_on_time": round(received * rng.uniform(0.9, 1.0)),
        "procedures_online": round(received * rng.uniform(0.8, 1.0)),
        "procedures_non_territorial": round(received * rng.uniform(0.0, 0.2)),
        "digital_signatures_issued": rng.randint(0, 40) * scale,
        "vacant_buildings": rng.randint(0, 3),
        "citizen_satisfaction_pct": Decimal(rng.randint(7000, 10000)) / 100,
    } | _optional_lg2_values(rng)


def _optional_lg2_values(rng: random.Random) -> dict[str, Any]:
    """The figures a unit may leave out: about half give their bandwidth and slowest case,
    one in ten had an outage."""
    values: dict[str, Any] = {}
    if rng.random() < 0.5:
        values["bandwidth_mbps"] = Decimal(rng.randint(20, 3000)) / 10
        values["longest_resolution_days"] = Decimal(rng.randint(10, 600)) / 10
    if rng.random() < 0.1:
        values["network_outage_hours"] = Decimal(rng.randint(1, 480)) / 10
    return values


VALUE_MAKERS = {"kl226-quarterly": kl226_values, "lg2-monthly": lg2_values}

# An invalid variant of each report type: a rule broken on purpose.
BREAKERS: dict[str, tuple[str, int]] = {
    "kl226-quarterly": ("conferences_online", 1),
    "lg2-monthly": ("staff_in_post", 1000),
}


def values_for(report_type: str, rng: random.Random, scale: int = 1) -> dict[str, Any]:
    return VALUE_MAKERS[report_type](rng, scale)


def synthetic_communes(registry: Registry, factor: int, on: date) -> list[Unit]:
    """Enough made-up communes, spread over the 34 provinces, to make the country ``factor``
    times as large. Their codes start at 40000, above every real commune code."""
    real = registry.units(Level.COMMUNE, on)
    provinces = registry.provinces(on)
    extra = len(real) * (factor - 1)
    return [
        Unit(
            code=f"{SYNTHETIC_CODES_FROM + i:05d}",
            name=f"Xã Mô Phỏng {i + 1}",
            level=Level.COMMUNE,
            kind="xã",
            parent=provinces[i % len(provinces)].code,
            valid_from=min(u.valid_from for u in real),
        )
        for i in range(extra)
    ]
