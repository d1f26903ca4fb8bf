"""Which edges the hub counts as silent after one look at its landing streams, and the spell it
records, never longer than the silence (services/validator/domain/link_silence.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.validator.domain.link_silence import SILENCE, EdgeReading, Silence, look

ASKED = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
ANSWERED = ASKED + timedelta(milliseconds=40)


def test_an_edge_heard_within_the_silence_threshold_is_heard() -> None:
    found = look([EdgeReading("00004", timedelta(seconds=1))], ASKED, ANSWERED)

    assert (found.silent, found.heard) == ([], ["00004"])


def test_a_silent_edges_spell_begins_when_it_was_last_heard_and_lasts_until_the_look() -> None:
    found = look([EdgeReading("00004", timedelta(hours=3))], ASKED, ANSWERED)

    assert found.silent == [Silence("00004", ANSWERED - timedelta(hours=3), ASKED)]
    assert found.heard == []


def test_just_past_the_threshold_is_silent_and_at_it_is_not() -> None:
    at = look([EdgeReading("00004", SILENCE)], ASKED, ANSWERED)
    past = look([EdgeReading("00004", SILENCE + timedelta(milliseconds=1))], ASKED, ANSWERED)

    assert (at.heard, [s.unit for s in past.silent]) == (["00004"], ["00004"])


def test_an_edge_never_heard_from_records_nothing() -> None:
    found = look([EdgeReading("00004", None)], ASKED, ANSWERED)

    assert (found.silent, found.heard) == ([], [])


def test_a_spell_never_begins_after_the_look_that_saw_it() -> None:
    # A slow answer (the server answered late): the silence is at least as old as the question.
    found = look(
        [EdgeReading("00004", timedelta(seconds=11))], ASKED, ASKED + timedelta(seconds=20)
    )

    assert found.silent[0].began == ASKED
