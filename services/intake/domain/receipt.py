"""What intake keeps for a submission: the stream's acknowledgement and the receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Stored:
    """JetStream's acknowledgement of a submission, read back from the stream."""

    stream_seq: int
    stored_at: datetime
    duplicate: bool
    # The unit of the subject the message was stored under: for a re-sent id within the
    # duplicate window, the unit that sent it first.
    unit: str


@dataclass(frozen=True)
class StoredReceipt:
    submission_id: str
    unit: str
    received_at: datetime
    stream_seq: int
