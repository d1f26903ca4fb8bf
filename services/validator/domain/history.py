"""A unit's submission history: which accepted submission superseded which, and what changed.
Pure."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shared.report_order import OrderKey, report_order
from shared.schemas import IndicatorValue

ReportKey = tuple[str, str]  # report type, period


@dataclass(frozen=True)
class Accepted:
    """An accepted submission of the unit, as far as superseding goes."""

    submission_id: str
    report_type: str
    period: str
    received_at: datetime
    stream_seq: int
    values: Mapping[str, IndicatorValue]

    @property
    def order(self) -> OrderKey:
        """The order the aggregator's merge rule keeps reports by, so the history names as
        current the report the rollups hold."""
        return report_order(self)


@dataclass(frozen=True)
class Change:
    before: IndicatorValue | None
    after: IndicatorValue | None


@dataclass(frozen=True)
class Links:
    """Where an accepted submission sits in its report's chain."""

    supersedes: str | None
    superseded_by: str | None
    # Against the submission it supersedes; None for the first accepted one.
    changes: dict[str, Change] | None


def links(accepted: Iterable[Accepted]) -> dict[str, Links]:
    """For every accepted submission: the one before and after it in its (report type,
    period), and what changed since the one before."""
    chains: dict[ReportKey, list[Accepted]] = defaultdict(list)
    for submission in accepted:
        chains[submission.report_type, submission.period].append(submission)
    found: dict[str, Links] = {}
    for chain in chains.values():
        chain.sort(key=lambda s: s.order)
        for index, submission in enumerate(chain):
            before = chain[index - 1] if index > 0 else None
            after = chain[index + 1] if index + 1 < len(chain) else None
            found[submission.submission_id] = Links(
                supersedes=before.submission_id if before else None,
                superseded_by=after.submission_id if after else None,
                changes=changes(before.values, submission.values) if before else None,
            )
    return found


def changes(
    before: Mapping[str, IndicatorValue], after: Mapping[str, IndicatorValue]
) -> dict[str, Change]:
    """Indicators whose value differs, compared as numbers (50.5 and 50.50 are the same);
    one reported on only one side changes from or to None."""
    found = {}
    for code in sorted(set(before) | set(after)):
        old, new = before.get(code), after.get(code)
        if old is None and new is None:
            continue
        if old is not None and new is not None and Decimal(old) == Decimal(new):
            continue
        found[code] = Change(old, new)
    return found


@dataclass(frozen=True)
class Cursor:
    """Where a page of the history ends: the page after it starts below this position."""

    received_at: datetime
    stream_seq: int
    submission_id: str

    def encode(self) -> str:
        text = json.dumps([self.received_at.isoformat(), self.stream_seq, self.submission_id])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Raises ValueError for a token this class did not make."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            received_at, stream_seq, submission_id = json.loads(text)
            cursor = cls(datetime.fromisoformat(received_at), int(stream_seq), str(submission_id))
        except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as error:
            raise ValueError(f"not a history cursor: {token[:64]!r}") from error
        if cursor.received_at.tzinfo is None:
            raise ValueError("not a history cursor: its time has no time zone")
        return cursor
