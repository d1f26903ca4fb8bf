"""The arithmetic of a weak link, without sockets: its rate, its losses, its jitter, its flaps.

:mod:`baocao.link_proxy` asks this module when each segment of a byte stream may leave and
when it arrives; everything here is a function of the time it is given and of a seeded
:class:`random.Random`, so a test can check the plan without a socket and replay it exactly.

A segment is what the proxy reads at once from one side (at most ``segment_bytes``, one
Ethernet-sized TCP segment by default). It leaves when a token bucket at the link's rate has
room for it, and arrives after that plus two delays:

- a *retransmission stall* when the segment is lost: TCP sends it again after a retransmission
  timeout, doubled for each further loss of the same segment (RFC 6298's back-off), and the
  bytes behind it wait, because TCP delivers in order;
- *jitter*, a uniform extra delay, which is all that reordering can do to a TCP stream: the
  receiver holds the early segments until the late one is in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

ETHERNET_SEGMENT_BYTES = 1460  # a TCP segment's payload under a 1500-byte MTU
# After this many losses in a row the stall is 0.2 s × 63 ≈ 13 s; a real TCP keeps trying
# (Linux: 15 times), but a test waiting longer would only be waiting.
MAX_RETRANSMISSIONS = 6


@dataclass(frozen=True)
class LinkShape:
    """How weak a link is, the same in both directions (each direction has its own rate)."""

    rate_bits_per_second: float | None = None  # None: as fast as loopback
    loss: float = 0.0  # probability that a segment, or its retransmission, is lost
    jitter_seconds: float = 0.0  # each segment is delayed by up to this much more
    retransmission_timeout_seconds: float = 0.2  # Linux's minimum RTO
    segment_bytes: int = ETHERNET_SEGMENT_BYTES

    def __post_init__(self) -> None:
        if self.rate_bits_per_second is not None and self.rate_bits_per_second <= 0:
            raise ValueError(f"a link's rate must be positive, not {self.rate_bits_per_second}")
        if not 0.0 <= self.loss < 1.0:
            raise ValueError(f"loss is a probability below 1, not {self.loss}")
        if self.jitter_seconds < 0 or self.retransmission_timeout_seconds <= 0:
            raise ValueError("jitter cannot be negative, and a retransmission takes some time")
        if self.segment_bytes <= 0:
            raise ValueError(f"a segment holds at least a byte, not {self.segment_bytes}")

    @property
    def shaped(self) -> bool:
        return self != UNSHAPED

    @property
    def bytes_per_second(self) -> float | None:
        return None if self.rate_bits_per_second is None else self.rate_bits_per_second / 8


UNSHAPED = LinkShape()


class TokenBucket:
    """Bytes leave at ``bytes_per_second``; after a quiet spell up to ``burst_bytes`` leave at
    once. A reservation larger than the bucket holds goes into debt, repaid at the rate."""

    def __init__(self, bytes_per_second: float, burst_bytes: float, now: float = 0.0) -> None:
        self._rate = bytes_per_second
        self._burst = burst_bytes
        self._tokens = burst_bytes
        self._updated = now

    def departure(self, size: int, now: float) -> float:
        """Reserve ``size`` bytes at ``now``; the instant their last byte has left."""
        now = max(now, self._updated)
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        self._tokens -= size
        return now if self._tokens >= 0 else now + -self._tokens / self._rate


def retransmissions(loss: float, rng: random.Random) -> int:
    """How many times in a row one segment is lost (0 when the first copy gets through)."""
    count = 0
    while count < MAX_RETRANSMISSIONS and rng.random() < loss:
        count += 1
    return count


def retransmission_stall(retransmissions: int, timeout_seconds: float) -> float:
    """How long a segment lost ``retransmissions`` times is late: each wait doubles."""
    return timeout_seconds * ((1 << retransmissions) - 1)


@dataclass(frozen=True)
class Delivery:
    departs_at: float  # the link has sent its last byte (the rate)
    arrives_at: float  # the far side can read it, before waiting for earlier segments
    retransmissions: int


class LinkPlan:
    """One direction of a shaped link: when each segment leaves and arrives, from a seed."""

    def __init__(self, shape: LinkShape, rng: random.Random) -> None:
        self.shape = shape
        self._rng = rng
        rate = shape.bytes_per_second
        self._bucket = None if rate is None else TokenBucket(rate, shape.segment_bytes)

    def deliver(self, size: int, now: float) -> Delivery:
        lost = retransmissions(self.shape.loss, self._rng) if self.shape.loss else 0
        # A segment sent again costs the link its bytes again.
        departs = now if self._bucket is None else self._bucket.departure(size * (1 + lost), now)
        stall = retransmission_stall(lost, self.shape.retransmission_timeout_seconds)
        jitter = self._rng.uniform(0, self.shape.jitter_seconds) if self.shape.jitter_seconds else 0
        return Delivery(departs, departs + stall + jitter, lost)


def flap_schedule(
    every_seconds: float, jitter_seconds: float, for_seconds: float, rng: random.Random
) -> Iterator[tuple[bool, float]]:
    """A flapping link's phases, up first, then down, and so on: ``(down, seconds)``, each
    ``every_seconds`` give or take up to ``jitter_seconds``, the last cut short so that they
    add up to ``for_seconds`` (endless if that is infinite)."""
    if not 0 <= jitter_seconds < every_seconds:
        raise ValueError("a flap's jitter must be smaller than its period, so phases stay positive")
    down, left = False, for_seconds
    while left > 0:
        length = min(left, every_seconds + rng.uniform(-jitter_seconds, jitter_seconds))
        yield down, length
        down, left = not down, left - length
