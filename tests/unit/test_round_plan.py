"""The simulated national round's plan (`make run`): who sends what and how, and the oracle's
view of each unit's last accepted report."""

from __future__ import annotations

from collections import Counter

import pytest

from baocao.round_plan import PAPER_EVERY, Plan, keyed_by_province, plan_round
from shared.catalog import Catalog, Level
from shared.periods import Period
from shared.registry import Registry
from shared.registry.seed import units_from_package


@pytest.fixture(scope="module")
def plan() -> Plan:
    catalog = Catalog.load()
    registry = Registry(units_from_package())
    return plan_round(registry, catalog.report_types["kl226-quarterly"], Period.parse("2026-Q4"))


def test_about_one_commune_in_a_hundred_sends_its_report_on_paper(plan: Plan) -> None:
    paper = [p for w in plan.waves for p in w.submissions if p.channel == "paper"]

    assert 20 <= len(paper) <= 60
    assert all(p.unit.level == Level.COMMUNE and p.kind == "report" for p in paper)
    assert all(int(p.unit.code) % PAPER_EVERY == 0 for p in paper)
    # A paper report counts as the commune's own: the oracle sums it like any other.
    sent = Counter(p.unit.code for w in plan.waves for p in w.submissions)
    alone = [p for p in paper if sent[p.unit.code] == 1]
    assert len(alone) >= 10
    assert all(plan.final_values[p.unit.code] == p.body["values"] for p in alone)


def test_a_paper_report_is_marked_as_keyed_by_the_communes_province(plan: Plan) -> None:
    commune = next(p.unit for w in plan.waves for p in w.submissions if p.channel == "paper")

    mark = keyed_by_province(commune)

    assert mark["unit"] == commune.province
    assert mark["person"] == f"person:vanthu-{commune.province}"
    assert mark["reason"]


def test_the_rest_of_the_round_still_goes_over_http_and_nats(plan: Plan) -> None:
    assert plan.channel_count("http") > 3000
    assert plan.channel_count("nats") > 200
    assert plan.count("duplicate") > 0


def test_a_report_sent_twice_is_never_on_paper_since_its_copy_is_the_communes_own(
    plan: Plan,
) -> None:
    by_id: dict[str, list[str]] = {}
    for wave in plan.waves:
        for planned in wave.submissions:
            by_id.setdefault(planned.body["submission_id"], []).append(planned.channel)

    resent = [channels for channels in by_id.values() if len(channels) > 1]

    assert resent
    assert all("paper" not in channels for channels in resent)
