"""When a report counts as submitted: its official receipt, or the time its unit signed it
while its link was down. Pure.

A commune whose link is down across a deadline signs its report on time and it reaches the hub
days later. The hub cannot check a clock it does not hold, so it honours the unit's signed
``signed_at`` only where nothing it knows contradicts it (docs/weak-networks.md):

- the signature stands (the unit's key vouches for ``signed_at``; a keyed report's province);
- ``signed_at`` is not after the receipt;
- the receipt is within the report type's offline window after ``signed_at`` (72 hours unless
  the catalog says otherwise): lying can gain no more than the window;
- the hub itself recorded a **quiet spell** of the link the report came by around
  ``signed_at``: it heard nothing from the unit's edge (or from the clerk's browser that signed
  it) from before ``signed_at`` until the link came back, and the report arrived within the
  catch-up allowance after that. A unit that was in touch with the hub after the time it claims
  would have sent the report then: its claim is contradicted.

Without a recorded spell the receipt counts, as for any report: the claim needs evidence, not
just the absence of a contradiction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.schemas import CountedBasis, CountedFrom, CountedGrounds

# After the link came back, how long its backlog may take to arrive: an edge forwards what it
# holds within seconds to minutes even at 64 kbit/s; a report that comes later was not waiting.
CATCH_UP = timedelta(hours=1)


@dataclass(frozen=True)
class QuietSpell:
    """An interval in which the hub heard nothing from a unit's link: its edge silent
    (link_silence.py; ``ended`` is the last instant the hub saw it silent), or a clerk's browser
    out of touch (``ended`` is its next contact; None: none since)."""

    began: datetime
    ended: datetime | None
    source: str  # what recorded it: "edge" or "web"

    def covers(self, instant: datetime) -> bool:
        return self.began <= instant and (self.ended is None or instant <= self.ended)

    def ends_before(self, received_at: datetime, catch_up: timedelta) -> bool:
        """Whether a report received at ``received_at`` came as the link came back: after the
        spell, within ``catch_up`` of its end (a device not heard from since: the report is
        its first contact)."""
        return self.ended is None or self.ended <= received_at <= self.ended + catch_up


@dataclass(frozen=True)
class CountedTime:
    """The instant a report is judged at (timeliness, locks) and why."""

    at: datetime
    basis: CountedBasis
    # Why the receipt counts (or "offline", why signed_at does): kept for the audit.
    grounds: CountedGrounds
    spell: QuietSpell | None = None

    def published(self) -> CountedFrom:
        """As the verdict carries it."""
        return CountedFrom(
            at=self.at,
            basis=self.basis,
            grounds=self.grounds,
            quiet_from=self.spell.began if self.spell else None,
            quiet_until=self.spell.ended if self.spell else None,
        )


def counted_time(
    received_at: datetime,
    signed_at: datetime | None,
    *,
    signature_stands: bool,
    window: timedelta,
    spells: Iterable[QuietSpell] = (),
    catch_up: timedelta = CATCH_UP,
) -> CountedTime:
    """The time a report counts as submitted: ``signed_at`` when every condition of the module
    docstring holds, else ``received_at``."""

    def receipt(grounds: CountedGrounds) -> CountedTime:
        return CountedTime(received_at, "received", grounds)

    if signed_at is None or not signature_stands:
        return receipt("not_signed")
    if signed_at > received_at:
        return receipt("signed_after_receipt")
    if received_at - signed_at > window:
        return receipt("beyond_offline_window")
    spell = next(
        (s for s in spells if s.covers(signed_at) and s.ends_before(received_at, catch_up)),
        None,
    )
    if spell is None:
        return receipt("no_quiet_spell")
    return CountedTime(signed_at, "signed", "offline", spell)
