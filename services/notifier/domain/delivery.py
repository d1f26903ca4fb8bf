"""Delivery rules, pure: quiet hours, when a failed delivery is retried or dead-lettered, webhook
signatures, channel names."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from shared.periods import VIETNAM

SIGNATURE_HEADER = "X-Baocao-Signature"
TIMESTAMP_HEADER = "X-Baocao-Timestamp"
DELIVERY_HEADER = "X-Baocao-Delivery"
EVENT_HEADER = "X-Baocao-Event"
NATS, EMAIL, WEBHOOK = "nats", "email", "webhook"


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, in Vietnam time, when no e-mail is sent (``21:00-07:00``). A window
    whose start equals its end is empty."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``HH:MM-HH:MM``; raises ValueError otherwise."""
        first, _, second = text.partition("-")
        return cls(time.fromisoformat(first.strip()), time.fromisoformat(second.strip()))

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(VIETNAM).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, instant: datetime) -> datetime:
        """``instant`` itself outside the window, else the window's end."""
        if not self.contains(instant):
            return instant
        local = instant.astimezone(VIETNAM)
        end = datetime.combine(local.date(), self.end, VIETNAM)
        if end <= local:
            end += timedelta(days=1)
        return end


def backoff_seconds(
    attempts: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """How long to wait after the ``attempts``-th failure: ``base * 2**(attempts-1)``, capped,
    with "equal jitter" (between half and all of it) so replicas retrying a receiver that came
    back do not all hit it in the same instant."""
    ceiling: float = min(cap, base * 2.0 ** max(attempts - 1, 0))
    jitter: float = (rng or random.Random()).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


@dataclass(frozen=True)
class DeliveryPolicy:
    """How the notifier delivers: e-mail outside ``quiet_hours``; a worker's lease on what it
    claimed; how often and how far apart a failed delivery is tried again; how many sends at
    once, and how many deliveries claimed at a time; how long a delivery held for a silent
    edge waits before it is looked at again (a tick)."""

    quiet_hours: QuietHours = QuietHours(time(21), time(7))
    lease_seconds: float = 30.0
    max_attempts: int = 6
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    concurrency: int = 8
    claim_batch: int = 256
    edge_recheck_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.edge_recheck_seconds <= 0:  # a held delivery would be claimed again at once
            raise ValueError("edge_recheck_seconds must be positive")

    def retry_delay(self, attempt: int, *, permanent: bool, outage: bool) -> float | None:
        """Seconds until the ``attempt``-th failed attempt is tried again; None: never (dead).

        A permanent refusal is dead at once. An outage of our own backbone (NATS) is waited
        out however long it lasts; any other failure is dead after ``max_attempts``."""
        if permanent or (not outage and attempt >= self.max_attempts):
            return None
        return backoff_seconds(attempt, self.backoff_base, self.backoff_cap)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 under the unit's webhook secret of ``<timestamp>.<body>``.
    Signing the timestamp with the body lets a receiver refuse a replayed request."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_is_valid(
    secret: str, timestamp: str, body: bytes, header: str, now: datetime, tolerance: float = 300
) -> bool:
    """What a receiver checks: the signature, and a timestamp within ``tolerance`` seconds."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)
