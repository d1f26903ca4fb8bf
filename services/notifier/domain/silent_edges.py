"""Reminders wait for a silent edge (issue 17, ADR 0024). Pure.

A commune behind an edge keeps submitting while its link to the hub is down: its signed reports
wait in the edge's outbox. The hub's own record of the silence (the view ``silent_edges``, written
by the validator, never by the unit) lists the units it hears nothing from now, and since when.
Chasing such a unit would chase a report that may be on its way, so:

- a step (a reminder or a digest) whose every chased unit is silent is **held**: neither sent
  nor cancelled. It is looked at again on the next tick; once an edge is heard, the step goes on
  as any other (cancelled if the report arrived, sent if not);
- a digest that still chases someone goes ahead, and names its silent units as offline since
  when, rather than late.

A notice that chases no one (a rejection) is never held.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from shared.registry import Unit

Silent = Mapping[str, datetime]  # unit -> the last time the hub heard from its edge


def held(chased: Collection[str], silent: Silent) -> bool:
    """Whether a step chasing ``chased`` waits: every unit it chases is silent now."""
    return bool(chased) and all(unit in silent for unit in chased)


def silent_since(chased: Collection[str], silent: Silent) -> datetime | None:
    """Since when a held step waits: since the last of its units fell silent."""
    return max((silent[u] for u in chased if u in silent), default=None)


def late_and_offline(
    units: Sequence[Unit], silent: Silent
) -> tuple[list[Unit], list[tuple[Unit, datetime]]]:
    """A digest's units not yet reported: the late, and the offline with since when."""
    late = [u for u in units if u.code not in silent]
    offline = [(u, silent[u.code]) for u in units if u.code in silent]
    return late, offline
