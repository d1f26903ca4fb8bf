"""The simulated round's summary says how the reports that travelled through edges were judged
(baocao/round_summary.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from baocao.round_plan import Plan, plan_round
from baocao.round_summary import RoundResult, summary
from shared.catalog import Catalog
from shared.periods import Period
from shared.registry import Registry
from shared.registry.seed import units_from_package

NATIONAL = {
    "completeness": {
        "expected": 3355,
        "submitted": 3300,
        "rate_pct": 98.4,
        "on_time": 3100,
        "late": 200,
        "missing": 55,
    },
    "derived": {},
    "children": [],
    "values": {},
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    catalog = Catalog.load()
    registry = Registry(units_from_package())
    return plan_round(registry, catalog.report_types["kl226-quarterly"], Period.parse("2026-Q4"))


def result(plan: Plan, edges: Counter[tuple[str, str]] | None) -> RoundResult:
    return RoundResult(plan, NATIONAL, Counter(), Counter(), [], 3500, edges=edges)


def test_the_summary_counts_the_edges_reports_by_how_they_were_judged(plan: Plan) -> None:
    judged = Counter({("on_time", "signed"): 4, ("late", "signed"): 2, ("late", "received"): 1})

    text = summary(result(plan, judged))

    assert (
        "  7 reports through 7 communes' edges, their link cut from the day before the"
        " deadline until after it: 4 judged on time, 3 late; 6 counted from their signed time"
        " inside a silence the hub recorded"
    ) in text


def test_a_round_without_edges_says_nothing_of_them(plan: Plan) -> None:
    assert "edges" not in summary(result(plan, None))
