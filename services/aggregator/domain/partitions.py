"""Which share of the work a province's reports fall in. Pure.

A batch of accepted reports is split by province into partitions, each applied in a
transaction of its own and all of them at once: a partition locks only its provinces' rows,
so a slow province (a correction that took back a minimum and rolls the province up again)
holds back only its partition, and replicas working on different partitions never wait on
each other. A province always falls in the same partition, so its reports of one batch are
applied in one transaction, in order; across batches the forward-only upsert keeps them in
order whatever the timing.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TypeVar

Key = TypeVar("Key")
Item = TypeVar("Item")


def partition_of(province: str, partitions: int) -> int:
    """Stable across processes and releases (not Python's salted ``hash``)."""
    return zlib.crc32(province.encode()) % partitions


def split_by_province(
    items: Mapping[Key, Item], province_of: dict[Key, str], partitions: int
) -> list[dict[Key, Item]]:
    """``items`` in partitions by their province, empty partitions left out, in partition order."""
    groups: dict[int, dict[Key, Item]] = {}
    for key, item in items.items():
        groups.setdefault(partition_of(province_of[key], partitions), {})[key] = item
    return [groups[index] for index in sorted(groups)]
