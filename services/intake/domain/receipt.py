from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredReceipt:
    submission_id: str
    unit: str
    received_at: datetime
    stream_seq: int
