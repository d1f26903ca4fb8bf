"""The catalog the benchmarks run their system with: the real one, less the period locks.

Benchmarks send each batch of a national round to a fresh (report type, period), going back in
time from the newest open period, so that every figure measures new rollups rather than
replacements. Those older periods are locked by the real catalog, and every report would be
refused with period_locked. Everything else (rules, warnings, deadlines) is as shipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shared.catalog import DEFAULT_DIRECTORY, Catalog

_LOCK = re.compile(r",\s*lock_after_days\s*=\s*[0-9]+")


def unlocked_catalog(directory: Path) -> Path:
    """Write the catalog without lock dates into ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in sorted(DEFAULT_DIRECTORY.glob("*.toml")):
        text = _LOCK.sub("", source.read_text(encoding="utf-8"))
        (directory / source.name).write_text(text, encoding="utf-8")
    catalog = Catalog.load(directory)
    locked = [rt.code for rt in catalog for level in rt.levels if level.deadline.lock_after_days]
    if locked or set(catalog.report_types) != set(Catalog.load().report_types):
        raise RuntimeError(f"could not remove the locks of {locked} for the benchmarks")
    return directory


def benchmark_environment(run_dir: Path) -> dict[str, str]:
    return dict(os.environ, BAOCAO_CATALOG_DIR=str(unlocked_catalog(run_dir / "catalog")))
