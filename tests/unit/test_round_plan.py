"""The simulated national round's plan (`make run`): who sends what and how, and the oracle's
view of each unit's last accepted report."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from baocao.round_plan import EDGE_COMMUNES, PAPER_EVERY, Plan, keyed_by_province, plan_round
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


def test_seven_communes_send_through_edges_half_before_the_deadline_half_after(
    plan: Plan,
) -> None:
    edge = [(w.key, p) for w in plan.waves for p in w.submissions if p.channel == "edge"]

    assert len(edge) == len(plan.edge_units()) == EDGE_COMMUNES == 7
    assert all(p.unit.level == Level.COMMUNE and p.kind == "report" for _, p in edge)
    # Each sends that one report and nothing else.
    sent = Counter(p.unit.code for w in plan.waves for p in w.submissions)
    assert all(sent[p.unit.code] == 1 for _, p in edge)
    assert {key for key, _ in edge} == {"last_day", "edges_back"}
    # The oracle expects those signed on the last day on time and the others late.
    for key, p in edge:
        assert plan.final_on_time[p.unit.code] is (key == "last_day")


@pytest.mark.parametrize("label", ["2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3"])
def test_the_edges_link_is_cut_before_the_last_day_and_back_the_morning_after(
    label: str,
) -> None:
    catalog = Catalog.load()
    report_type = catalog.report_types["kl226-quarterly"]
    waves = plan_round(Registry(units_from_package()), report_type, Period.parse(label)).waves
    at = {w.key: w.at for w in waves}

    # The clock only moves forward, and the link is back after the communes' deadline.
    assert [w.at for w in waves] == sorted(w.at for w in waves)
    deadline = report_type.deadline_for(Level.COMMUNE, Period.parse(label))
    assert deadline is not None
    assert at["reminded"] < at["last_day"] <= deadline < at["edges_back"]
    # Within the offline window (72 h), whatever the holidays: the last day's reports count
    # from when they were signed.
    assert at["edges_back"] - at["last_day"] <= timedelta(hours=72)
