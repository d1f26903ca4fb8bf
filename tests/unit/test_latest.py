"""Which accepted submission is a unit's current report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Literal

from services.aggregator.domain.latest import latest_per_report
from shared.periods import VIETNAM
from shared.schemas import Verdict

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def verdict(
    submission_id: str,
    minutes: int,
    *,
    unit: str = "00070",
    period: str = "2026-Q1",
    status: Literal["accepted", "rejected"] = "accepted",
    stream_seq: int = 1,
) -> Verdict:
    return Verdict(
        submission_id=submission_id,
        report_type="kl226-quarterly",
        period=period,
        unit=unit,
        province="01",
        status=status,
        received_at=T0 + timedelta(minutes=minutes),
        stream_seq=stream_seq,
        timeliness="on_time" if status == "accepted" else None,
        values={"docs_issued": minutes} if status == "accepted" else None,
    )


KEY = ("kl226-quarterly", "2026-Q1", "00070")


def test_the_latest_received_submission_wins_in_any_arrival_order() -> None:
    verdicts = [verdict("first-sub", 0), verdict("second-sub", 5), verdict("third-sub", 10)]
    for order in permutations(verdicts):
        latest = latest_per_report(order)
        assert latest[KEY].submission_id == "third-sub"


def test_a_later_stream_sequence_does_not_beat_a_later_receipt() -> None:
    older = verdict("older-sub", 0, stream_seq=99)
    newer = verdict("newer-sub", 1, stream_seq=1)
    assert latest_per_report([newer, older])[KEY].submission_id == "newer-sub"


def test_rejected_verdicts_are_ignored_even_when_newer() -> None:
    latest = latest_per_report([verdict("good-sub", 0), verdict("bad-sub", 30, status="rejected")])
    assert latest[KEY].submission_id == "good-sub"


def test_a_report_with_only_rejections_has_no_current_submission() -> None:
    assert latest_per_report([verdict("bad-sub", 0, status="rejected")]) == {}


def test_each_unit_and_period_has_its_own_current_submission() -> None:
    latest = latest_per_report(
        [
            verdict("hk-q1-a", 0),
            verdict("hk-q1-b", 5),
            verdict("other-q1", 1, unit="00073"),
            verdict("hk-q2-a", 2, period="2026-Q2"),
        ]
    )
    assert {key: v.submission_id for key, v in latest.items()} == {
        KEY: "hk-q1-b",
        ("kl226-quarterly", "2026-Q1", "00073"): "other-q1",
        ("kl226-quarterly", "2026-Q2", "00070"): "hk-q2-a",
    }


def test_an_exact_tie_is_broken_by_submission_id_whatever_the_order() -> None:
    a, b = verdict("tie-sub-a", 0), verdict("tie-sub-b", 0)
    assert latest_per_report([a, b])[KEY].submission_id == "tie-sub-b"
    assert latest_per_report([b, a])[KEY].submission_id == "tie-sub-b"


def test_instants_in_other_time_zones_are_compared_as_instants() -> None:
    earlier_in_utc = verdict("utc-sub", 0).model_copy(
        update={"received_at": T0 + timedelta(hours=1)}
    )
    later_in_vietnam = verdict("vn-sub", 0).model_copy(
        update={"received_at": (T0 + timedelta(hours=2)).astimezone(VIETNAM)}
    )
    assert latest_per_report([later_in_vietnam, earlier_in_utc])[KEY].submission_id == "vn-sub"


def test_a_late_correction_of_an_on_time_report_keeps_its_figures_and_stays_on_time() -> None:
    on_time = verdict("on-time", 0)
    late = verdict("late-fix", 10).model_copy(update={"timeliness": "late"})
    for order in permutations([on_time, late]):
        latest = latest_per_report(order)[KEY]
        assert latest.submission_id == "late-fix"
        assert latest.values == {"docs_issued": 10}
        assert latest.timeliness == "on_time"


def test_a_unit_that_only_ever_reported_late_is_late() -> None:
    late = [verdict(f"late-{n}", n).model_copy(update={"timeliness": "late"}) for n in (1, 2)]
    assert latest_per_report(late)[KEY].timeliness == "late"
