"""A batch is split by province into partitions applied side by side; a province always lands
in the same one, so its reports stay together and in order."""

from __future__ import annotations

from services.aggregator.domain.partitions import partition_of, split_by_province
from shared.registry.seed import units_from_package

PINNED = [2, 3, 1]
PROVINCES = sorted({u.code for u in units_from_package() if u.parent == "VN"})


def test_the_34_provinces_spread_over_every_partition() -> None:
    assert len(PROVINCES) == 34
    sizes = [sum(1 for p in PROVINCES if partition_of(p, 4) == n) for n in range(4)]
    assert all(size >= 4 for size in sizes), sizes


def test_a_province_is_always_in_the_same_partition() -> None:
    # Pinned: crc32, not Python's per-process salted hash, so every replica and every release
    # puts a province in the same partition.
    assert [partition_of(p, 4) for p in ("01", "79", "92")] == PINNED


def test_splitting_keeps_each_provinces_reports_together_and_loses_none() -> None:
    items = {(f"u{n}", p): n for n, p in enumerate(["01", "79", "01", "92", "79", "01"])}
    provinces = {key: key[1] for key in items}

    parts = split_by_province(items, provinces, 4)

    assert sorted(k for part in parts for k in part) == sorted(items)
    for part in parts:
        assert len({partition_of(p, 4) for _, p in part}) == 1
    together = next(part for part in parts if ("u0", "01") in part)
    assert {("u2", "01"), ("u5", "01")} <= set(together)
    assert all(part for part in parts)  # no empty partition


def test_one_partition_is_the_whole_batch() -> None:
    items = {("a", "01"): 1, ("b", "79"): 2}
    assert split_by_province(items, {k: k[1] for k in items}, 1) == [items]
