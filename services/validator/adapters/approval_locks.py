"""One advisory lock per (report type, period, province), shared by the two sides of a race.

An approval step takes it exclusively; recording a batch of verdicts takes it shared for every
province it accepts a report from and then looks the approvals up again. So an approval is
committed either before the batch's verdicts (which then see it, and are judged again) or after
them (and the reports it covers were accepted before it): never in between.
"""

from __future__ import annotations

import hashlib


def lock_id(report_type: str, period: str, province: str) -> int:
    """A stable signed 64-bit id (PostgreSQL's bigint) for the key, the same in every process."""
    digest = hashlib.blake2b(
        f"approval\x1f{report_type}\x1f{period}\x1f{province}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)
