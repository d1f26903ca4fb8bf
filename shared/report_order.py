"""Which of two accepted submissions of one unit's report is the newer: the order every service
agrees on. Pure.

The aggregator keeps the newest as the unit's current report (its merge rule,
``services/aggregator/domain/latest.py``) and the validator's history names the same one as
current (``services/validator/domain/history.py``); both sort by this key, so the audit trail and
the rollups can never disagree about which report counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

OrderKey = tuple[datetime, int, str]


class Received(Protocol):
    """What the order reads of a submission: when and where it was stored, and its id."""

    @property
    def received_at(self) -> datetime: ...
    @property
    def stream_seq(self) -> int: ...
    @property
    def submission_id(self) -> str: ...


def report_order(report: Received) -> OrderKey:
    """Later is newer. The later official receipt wins; on an exact tie, the later-stored message
    (JetStream's sequence), then the submission id, so every replica and every replay agrees."""
    return (report.received_at, report.stream_seq, report.submission_id)
