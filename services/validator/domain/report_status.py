"""Where each unit stands on one report: on time, late or rejected, corrected or not, and its
latest submission with the reasons it was refused. Pure.

The rules follow the rest of Baocao, so the province page and the rollups never disagree:

- a unit is ``rejected`` while none of its submissions was accepted;
- otherwise it is ``on_time`` if any accepted submission was on time, else ``late``: on time
  once, on time for good, as the aggregator's merge rule keeps it
  (``services/aggregator/domain/latest.py:merged``, which takes an accepted report without a
  timeliness as on time);
- it is ``corrected`` when more than one of its submissions was accepted;
- its ``latest`` submission is the newest by ``shared/report_order.py`` (received_at, then the
  stream sequence, then the id), accepted or not: a rejected correction after an accepted
  report shows there while the unit stays on time or late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from shared.report_order import report_order
from shared.schemas import Reason, Timeliness

ON_TIME = "on_time"


class Standing(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Submitted:
    """One submission of a unit for the report, as far as its standing goes."""

    submission_id: str
    unit: str
    status: Literal["accepted", "rejected"]
    timeliness: Timeliness | None  # as judged; None when rejected
    received_at: datetime
    stream_seq: int
    reasons: tuple[Reason, ...] = ()  # why it was refused (empty when accepted)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def on_time(self) -> bool:
        """An accepted submission on time (one without a timeliness counts as on time, as in
        the merge rule); a rejected one is neither."""
        return self.accepted and (self.timeliness or ON_TIME) == ON_TIME


@dataclass(frozen=True)
class UnitStatus:
    unit: str
    status: Standing
    corrected: bool
    submissions: int
    accepted: int
    rejected: int
    first_received_at: datetime
    last_received_at: datetime
    latest: Submitted


def unit_status(submitted: Sequence[Submitted]) -> UnitStatus:
    """The standing of one unit from all its submissions for the report (at least one)."""
    if not submitted:
        raise ValueError("a unit without submissions has no status here")
    units = {s.unit for s in submitted}
    if len(units) != 1:
        raise ValueError(f"submissions of several units: {sorted(units)}")
    accepted = [s for s in submitted if s.accepted]
    if not accepted:
        status = Standing.REJECTED
    elif any(s.on_time for s in accepted):
        status = Standing.ON_TIME
    else:
        status = Standing.LATE
    received = [s.received_at for s in submitted]
    return UnitStatus(
        unit=submitted[0].unit,
        status=status,
        corrected=len(accepted) > 1,
        submissions=len(submitted),
        accepted=len(accepted),
        rejected=len(submitted) - len(accepted),
        first_received_at=min(received),
        last_received_at=max(received),
        latest=max(submitted, key=report_order),
    )


def statuses(submitted: Iterable[Submitted]) -> list[UnitStatus]:
    """The standing of every unit that has a submission among ``submitted``, by unit code."""
    by_unit: dict[str, list[Submitted]] = defaultdict(list)
    for submission in submitted:
        by_unit[submission.unit].append(submission)
    return [unit_status(by_unit[unit]) for unit in sorted(by_unit)]
