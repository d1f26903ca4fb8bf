"""A weak link's arithmetic, without sockets: its rate, losses, jitter and flaps."""

from __future__ import annotations

import random

import pytest

from baocao.link_shaping import (
    MAX_RETRANSMISSIONS,
    UNSHAPED,
    Delivery,
    LinkPlan,
    LinkShape,
    TokenBucket,
    flap_schedule,
    retransmission_stall,
    retransmissions,
)

SEGMENT = 500


def _bytes_sent_within(bucket: TokenBucket, seconds: float) -> int:
    """What a sender that waits for each segment to leave before the next gets through."""
    now, sent = 0.0, 0
    while True:
        now = bucket.departure(SEGMENT, now)
        if now > seconds:
            return sent
        sent += SEGMENT


def test_a_64_kbit_link_lets_about_8_kilobytes_through_each_second() -> None:
    rate = LinkShape(rate_bits_per_second=64_000).bytes_per_second
    assert rate == 8_000
    bucket = TokenBucket(rate, burst_bytes=1_460)
    sent = _bytes_sent_within(bucket, 10.0)
    assert 80_000 <= sent <= 80_000 + 1_460 + SEGMENT


def test_a_quiet_link_sends_its_burst_at_once_but_no_more() -> None:
    bucket = TokenBucket(8_000, burst_bytes=1_000)
    assert bucket.departure(1_000, now=5.0) == 5.0
    # The next kilobyte waits for its tokens: an eighth of a second at 8 KB/s.
    assert bucket.departure(1_000, now=5.0) == pytest.approx(5.125)


def test_a_pause_refills_the_bucket_only_up_to_its_burst() -> None:
    bucket = TokenBucket(8_000, burst_bytes=1_000)
    bucket.departure(1_000, now=0.0)
    assert bucket.departure(1_000, now=60.0) == 60.0
    assert bucket.departure(1_000, now=60.0) == pytest.approx(60.125)


def test_a_segment_lost_again_and_again_waits_twice_as_long_each_time() -> None:
    assert [retransmission_stall(lost, 0.2) for lost in range(4)] == pytest.approx(
        [0.0, 0.2, 0.6, 1.4]
    )


def test_zero_loss_means_no_stall() -> None:
    plan = LinkPlan(LinkShape(rate_bits_per_second=64_000), random.Random(1))
    deliveries = [plan.deliver(SEGMENT, now=0.0) for _ in range(1_000)]
    assert all(d.retransmissions == 0 and d.arrives_at == d.departs_at for d in deliveries)


def test_a_seeded_loss_and_jitter_plan_is_reproducible() -> None:
    shape = LinkShape(rate_bits_per_second=64_000, loss=0.1, jitter_seconds=0.05)

    def plan(seed: int) -> list[Delivery]:
        link = LinkPlan(shape, random.Random(seed))
        return [link.deliver(SEGMENT, now=i * 0.1) for i in range(200)]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_about_the_loss_rate_of_segments_stall() -> None:
    rng = random.Random(3)
    lost = [retransmissions(0.1, rng) for _ in range(10_000)]
    assert 0.08 < sum(count > 0 for count in lost) / len(lost) < 0.12
    assert max(lost) <= MAX_RETRANSMISSIONS


def test_a_lost_segment_arrives_a_timeout_late_and_costs_its_bytes_again() -> None:
    shape = LinkShape(rate_bits_per_second=8_000, loss=0.5, retransmission_timeout_seconds=1.0)
    rng = random.Random(11)
    plan = LinkPlan(shape, rng)
    now = 100.0  # long after the bucket filled: the first segment fits its burst
    delivery = plan.deliver(1_000, now)
    while delivery.retransmissions == 0:
        now = delivery.departs_at + 10.0
        delivery = plan.deliver(1_000, now)
    lost = delivery.retransmissions
    assert delivery.arrives_at - delivery.departs_at == pytest.approx(2**lost - 1)
    # Sent 1 + lost times at 1 KB/s, less the 1,460 bytes the bucket held.
    assert delivery.departs_at - now == pytest.approx((1_000 * (1 + lost) - 1_460) / 1_000)


def test_jitter_delays_a_segment_by_at_most_the_jitter() -> None:
    plan = LinkPlan(LinkShape(jitter_seconds=0.3), random.Random(5))
    delays = [plan.deliver(SEGMENT, now=1.0).arrives_at - 1.0 for _ in range(1_000)]
    assert 0.0 <= min(delays) < 0.01
    assert 0.29 < max(delays) <= 0.3


def test_an_unshaped_link_delivers_at_once() -> None:
    assert not UNSHAPED.shaped
    assert LinkPlan(UNSHAPED, random.Random(0)).deliver(65_536, now=2.0) == Delivery(2.0, 2.0, 0)


@pytest.mark.parametrize(
    "weakness",
    [
        {"rate_bits_per_second": 0},
        {"loss": 1.0},
        {"loss": -0.1},
        {"jitter_seconds": -1},
        {"retransmission_timeout_seconds": 0},
        {"segment_bytes": 0},
    ],
)
def test_an_impossible_link_is_refused(weakness: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each has its own message
        LinkShape(**weakness)  # type: ignore[arg-type]


def test_a_flapping_link_is_up_then_down_in_turn_for_as_long_as_asked() -> None:
    phases = list(flap_schedule(0.5, 0.1, 3.0, random.Random(2)))
    assert [down for down, _ in phases] == [i % 2 == 1 for i in range(len(phases))]
    assert all(0 < seconds <= 0.6 for _, seconds in phases)
    assert all(seconds >= 0.4 for _, seconds in phases[:-1])
    assert sum(seconds for _, seconds in phases) == pytest.approx(3.0)


def test_a_seeded_flap_schedule_is_reproducible() -> None:
    def schedule(seed: int) -> list[tuple[bool, float]]:
        return list(flap_schedule(2.0, 1.0, 60.0, random.Random(seed)))

    assert schedule(4) == schedule(4)
    assert schedule(4) != schedule(5)


def test_a_flap_jitter_as_long_as_its_period_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        next(flap_schedule(1.0, 1.0, 10.0, random.Random(0)))
