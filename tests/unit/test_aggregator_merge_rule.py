"""The merge rule for two reports of one unit (domain/latest.py), on stored reports: the newer
one's figures, on time if either was."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import permutations

from services.aggregator.domain.latest import (
    StoredReport,
    merged_report,
    moved_forward,
)

T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)
KEY = ("kl226-quarterly", "2026-Q4", "00070")


def report(
    submission_id: str, minutes: int = 0, *, seq: int = 1, timeliness: str = "on_time"
) -> StoredReport:
    return StoredReport(
        "00070",
        submission_id,
        T0 + timedelta(minutes=minutes),
        timeliness,
        {"docs_issued": minutes},
        seq,
    )


def test_a_first_report_is_taken_as_it_is() -> None:
    first = report("first", timeliness="late")

    assert merged_report(None, first) == first


def test_the_later_receipt_wins_whichever_comes_first() -> None:
    older, newer = report("older", 0, seq=9), report("newer", 5, seq=1)

    assert merged_report(older, newer) == newer
    assert merged_report(newer, older) == newer


def test_an_exact_tie_is_broken_by_stream_sequence_then_submission_id() -> None:
    by_seq = report("zzz", seq=1), report("aaa", seq=2)
    by_id = report("sub-a"), report("sub-b")

    assert merged_report(*by_seq).submission_id == "aaa"
    assert merged_report(*reversed(by_seq)).submission_id == "aaa"
    assert merged_report(*by_id).submission_id == "sub-b"
    assert merged_report(*reversed(by_id)).submission_id == "sub-b"


def test_a_late_correction_keeps_its_figures_and_the_unit_stays_on_time_in_any_order() -> None:
    on_time, late_fix = report("on-time", 0), report("late-fix", 10, timeliness="late")

    for first, second in permutations([on_time, late_fix]):
        kept = merged_report(first, second)
        assert kept == replace(late_fix, timeliness="on_time")


def test_a_unit_that_only_ever_reported_late_stays_late() -> None:
    kept = merged_report(
        report("late-1", 1, timeliness="late"), report("late-2", 2, timeliness="late")
    )

    assert (kept.submission_id, kept.timeliness) == ("late-2", "late")


def test_only_reports_that_move_forward_are_changes() -> None:
    stored = report("stored", 5)
    incoming = {
        KEY: report("older", 1),
        ("kl226-quarterly", "2026-Q4", "00004"): report("new-unit", 3),
    }

    changes = moved_forward({KEY: stored}, incoming)

    assert list(changes) == [("kl226-quarterly", "2026-Q4", "00004")]
    assert changes[("kl226-quarterly", "2026-Q4", "00004")] == (None, report("new-unit", 3))
    assert moved_forward({KEY: stored}, {KEY: stored}) == {}  # a replay changes nothing


def test_an_older_on_time_report_turns_a_late_one_on_time_without_its_figures() -> None:
    late_newer = report("late-newer", 9, timeliness="late")

    changes = moved_forward({KEY: late_newer}, {KEY: report("on-time-older", 1)})

    assert changes == {KEY: (late_newer, replace(late_newer, timeliness="on_time"))}
