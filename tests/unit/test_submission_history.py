"""The audit's arithmetic: which accepted submission superseded which, what changed, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.validator.domain.history import Accepted, Change, Cursor, changes, links

T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)


def accepted(
    submission_id: str,
    minutes: int,
    seq: int,
    period: str = "2026-Q4",
    **values: int | Decimal,
) -> Accepted:
    return Accepted(
        submission_id, "kl226-quarterly", period, T0 + timedelta(minutes=minutes), seq, values
    )


def test_each_accepted_submission_supersedes_the_one_received_before_it() -> None:
    chain = links(
        [
            accepted("c", 20, 30, docs_issued=90),
            accepted("a", 0, 10, docs_issued=80),
            accepted("b", 10, 20, docs_issued=85),
        ]
    )

    assert (chain["a"].supersedes, chain["a"].superseded_by) == (None, "b")
    assert (chain["b"].supersedes, chain["b"].superseded_by) == ("a", "c")
    assert (chain["c"].supersedes, chain["c"].superseded_by) == ("b", None)
    assert chain["a"].changes is None
    assert chain["c"].changes == {"docs_issued": Change(85, 90)}


def test_on_an_exact_tie_the_later_stored_message_supersedes_as_in_the_aggregator() -> None:
    chain = links([accepted("late-stored", 0, 11), accepted("early-stored", 0, 10)])

    assert chain["late-stored"].supersedes == "early-stored"


def test_each_period_has_its_own_chain() -> None:
    chain = links([accepted("q3", 0, 1, period="2026-Q3"), accepted("q4", 5, 2)])

    assert chain["q4"].supersedes is None
    assert chain["q3"].superseded_by is None


def test_changes_compare_numbers_and_name_indicators_added_or_dropped() -> None:
    before: dict[str, int | Decimal] = {"docs_issued": 80, "budget": Decimal("50.5"), "dropped": 3}
    after: dict[str, int | Decimal] = {
        "docs_issued": 80,
        "budget": Decimal("50.50"),
        "added": Decimal("1.25"),
    }

    assert changes(before, after) == {
        "added": Change(None, Decimal("1.25")),
        "dropped": Change(3, None),
    }


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    cursor = Cursor(T0, 42, "01JQ7W5V3B9X2K4M8N6P0R1S2T")

    assert Cursor.decode(cursor.encode()) == cursor
    for forged in ("not-base64!", "bm90IGpzb24", Cursor(T0, 1, "x").encode()[:-3]):
        with pytest.raises(ValueError, match="cursor"):
            Cursor.decode(forged)
