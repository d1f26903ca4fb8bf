"""When a report counts as submitted: the receipt, or the unit's signed time while its link was
down (services/validator/domain/offline_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.validator.domain.offline_time import CATCH_UP, QuietSpell, counted_time
from shared.catalog import Catalog

WINDOW = timedelta(hours=72)
DEADLINE = datetime(2026, 12, 20, 17, tzinfo=UTC)
SIGNED = DEADLINE - timedelta(hours=2)  # on time, by the unit's clock
LINK_DOWN = DEADLINE - timedelta(hours=5)
LINK_BACK = DEADLINE + timedelta(hours=40)
RECEIVED = LINK_BACK + timedelta(minutes=3)  # the edge's backlog, just after the link came back
OUTAGE = QuietSpell(LINK_DOWN, LINK_BACK, "edge")


def counted(
    signed_at: datetime | None = SIGNED,
    received_at: datetime = RECEIVED,
    *,
    stands: bool = True,
    spells: tuple[QuietSpell, ...] = (OUTAGE,),
) -> tuple[datetime, str]:
    time = counted_time(
        received_at, signed_at, signature_stands=stands, window=WINDOW, spells=spells
    )
    return time.at, time.grounds


def test_a_report_signed_while_the_link_was_down_counts_from_its_signed_time() -> None:
    time = counted_time(RECEIVED, SIGNED, signature_stands=True, window=WINDOW, spells=[OUTAGE])

    assert (time.at, time.basis, time.grounds, time.spell) == (SIGNED, "signed", "offline", OUTAGE)


def test_without_a_standing_signature_the_receipt_counts() -> None:
    assert counted(stands=False) == (RECEIVED, "not_signed")
    assert counted(signed_at=None) == (RECEIVED, "not_signed")


def test_a_signed_time_after_the_receipt_is_not_believed() -> None:
    assert counted(signed_at=RECEIVED + timedelta(seconds=1)) == (RECEIVED, "signed_after_receipt")


def test_lying_gains_nothing_beyond_the_offline_window() -> None:
    long_ago = RECEIVED - WINDOW - timedelta(seconds=1)
    spell = QuietSpell(long_ago - timedelta(hours=1), LINK_BACK, "edge")

    assert counted(signed_at=long_ago, spells=(spell,)) == (RECEIVED, "beyond_offline_window")
    assert counted(signed_at=RECEIVED - WINDOW, spells=(spell,))[1] == "offline"


def test_a_claim_needs_a_quiet_spell_the_hub_recorded() -> None:
    assert counted(spells=()) == (RECEIVED, "no_quiet_spell")


def test_a_unit_in_touch_with_the_hub_after_the_time_it_claims_is_contradicted() -> None:
    # The link went down only after the claimed signing: the report would have gone then.
    later = QuietSpell(SIGNED + timedelta(minutes=10), LINK_BACK, "edge")

    assert counted(spells=(later,)) == (RECEIVED, "no_quiet_spell")


def test_a_report_arriving_long_after_the_link_came_back_was_not_waiting_for_it() -> None:
    assert counted(received_at=LINK_BACK + CATCH_UP + timedelta(seconds=1))[1] == "no_quiet_spell"
    assert counted(received_at=LINK_BACK + CATCH_UP)[1] == "offline"


def test_the_spell_that_covers_the_signed_time_is_the_one_recorded() -> None:
    earlier = QuietSpell(SIGNED - timedelta(days=5), SIGNED - timedelta(days=4), "edge")
    browser = QuietSpell(SIGNED - timedelta(hours=1), RECEIVED, "web")

    time = counted_time(
        RECEIVED, SIGNED, signature_stands=True, window=WINDOW, spells=[earlier, browser]
    )

    assert time.spell == browser


def test_the_catalog_gives_each_report_type_an_offline_window_of_72_hours_by_default() -> None:
    catalog = Catalog.load()

    assert {t.offline_window for t in catalog.report_types.values()} == {timedelta(hours=72)}
