"""Nothing lost, nothing counted twice, nothing stuck, while every part of the system is killed.

One run of the fault-injection driver behind ``make chaos`` (``baocao.chaos.run_chaos``), made
smaller: three provinces instead of the nation, eight SIGKILLs instead of 24. The whole system
runs as real processes (nats-server, PostgreSQL, the four services) in a temporary directory.
While a round of both report types is sent (over HTTP and straight onto NATS, with invalid
reports, corrections, re-sends and missing units), every service is killed twice and started
again, nats-server and PostgreSQL are each restarted once, and some kills come after the last
receipt, while the consumers still work through their backlog. Each test below states one
guarantee the system must keep through all that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from baocao.chaos import SERVICE_NAMES, ChaosConfig, ChaosResult, run_chaos

pytestmark = pytest.mark.slow

PROVINCES = ("01", "11", "12")  # Hà Nội, Điện Biên, Lai Châu: 209 units, about 450 submissions
SMALL_RUN = ChaosConfig(kills=8, provinces=PROVINCES, status_sample=100, settle_timeout=150)


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> ChaosResult:
    run_dir: Path = tmp_path_factory.mktemp("chaos")
    result = run_chaos(SMALL_RUN, run_dir, print)
    print(result.summary())
    return result


def test_every_service_is_killed_twice_and_nats_and_postgresql_restart_once(
    chaos: ChaosResult,
) -> None:
    assert sum(chaos.kills.values()) >= SMALL_RUN.kills
    assert all(chaos.kills[name] >= 2 for name in SERVICE_NAMES), chaos.kills
    assert chaos.kills_in("sending") > 0
    assert chaos.kills_in("backlog") > 0
    assert chaos.restarts("nats") == 1
    assert chaos.restarts("postgres") == 1
    assert sum(chaos.redelivered.values()) > 0, "no kill caught a consumer with work in hand"


def test_no_service_dies_unless_it_is_killed(chaos: ChaosResult) -> None:
    assert chaos.failures["services"] == []
    assert chaos.unexpected_exits == []


def test_every_report_with_a_receipt_is_counted_exactly_once_in_each_province_and_at_central(
    chaos: ChaosResult,
) -> None:
    assert chaos.failures["oracle"] == []


def test_every_submission_gets_a_receipt_and_then_the_final_verdict_the_plan_implies(
    chaos: ChaosResult,
) -> None:
    assert chaos.refused == {}
    assert chaos.receipts == len({p.submission_id for p in chaos.plan.all})
    assert chaos.failures["statuses"] == []


def test_no_message_stays_pending_unacknowledged_or_dead_lettered(chaos: ChaosResult) -> None:
    assert chaos.failures["consumers"] == []
