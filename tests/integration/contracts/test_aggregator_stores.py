"""The aggregator's stores, one contract each, run against the in-memory fakes and PostgreSQL.

Every test takes ``stores``, parametrized by implementation: what passes here for the fake is
what the use-case unit tests (tests/unit/test_aggregator_usecases.py) may rely on. The rollup
store is driven by the aggregation service's own fold, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from services.aggregator.adapters.approval_status import ApprovalStatus as PostgresApprovals
from services.aggregator.adapters.rollup_store import RollupStore as PostgresRollups
from services.aggregator.domain.latest import Change, latest_per_report
from services.aggregator.domain.rollup import Completeness, Rollup
from services.aggregator.exports.model import Approval
from services.aggregator.usecases.aggregation import AggregationService
from services.aggregator.usecases.ports import (
    ApprovalStatus,
    RollupKey,
    RollupStore,
    StoredRollup,
)
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.db import create_pool
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Verdict
from tests.fakes.aggregator import InMemoryApprovalStatus, InMemoryRollupStore
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KL226, Q4, Q3 = "kl226-quarterly", "2026-Q4", "2026-Q3"
HOAN_KIEM, BA_DINH, HA_NOI = "00070", "00004", "01"
VUNG_TAU = "26506"
T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)
CATALOG = Catalog.load()
REGISTRY = Registry(units_from_package())


@dataclass
class Stores:
    rollups: RollupStore
    approvals: ApprovalStatus
    record_approval: Any  # (report type, period, unit, Approval) -> Awaitable[None]


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        approvals = InMemoryApprovalStatus()

        async def record_fake(rt: str, period: str, unit: str, approval: Approval) -> None:
            approvals.record(rt, period, unit, approval)

        yield Stores(InMemoryRollupStore(), approvals, record_fake)
        return
    # The stores log in as the aggregator does; approvals are written by the owner, as the
    # validator's approvals API would.
    pool = await create_pool(service_url(backend, "aggregator"), min_size=1, max_size=4)
    owner = await asyncpg.connect(backend)

    async def record_real(rt: str, period: str, unit: str, approval: Approval) -> None:
        accepted = T0 if approval == Approval.CENTRAL_ACCEPTED else None
        await owner.execute(
            "INSERT INTO approvals (report_type, period, unit, approved_by, approved_at,"
            " accepted_by, accepted_at) VALUES ($1, $2, $3, 'test', $4, $5, $6)",
            rt,
            period,
            unit,
            T0,
            "central" if accepted else None,
            accepted,
        )

    try:
        yield Stores(PostgresRollups(pool), PostgresApprovals(pool), record_real)
    finally:
        await owner.close()
        await pool.close()


def verdict(
    submission_id: str,
    unit: str = HOAN_KIEM,
    *,
    period: str = Q4,
    minutes: int = 0,
    seq: int = 1,
    timeliness: str = "on_time",
    docs: int = 80,
) -> Verdict:
    found = REGISTRY.get(unit)
    assert found is not None
    return Verdict(
        submission_id=submission_id,
        report_type=KL226,
        period=period,
        unit=unit,
        province=found.province,
        status="accepted",
        received_at=T0 + timedelta(minutes=minutes),
        stream_seq=seq,
        timeliness=timeliness,
        values={"docs_issued": docs, "conference_budget_spent": Decimal("40.25")},
    )


def service(store: RollupStore) -> AggregationService:
    return AggregationService(
        catalog=CATALOG, registry=REGISTRY, clock=FixedClock(T0), store=store, partitions=1
    )


async def apply(store: RollupStore, *verdicts: Verdict) -> int:
    aggregation = service(store)
    return await store.apply(latest_per_report(verdicts), aggregation._fold, aggregation.refold, T0)


async def row(store: RollupStore, province: str = HA_NOI, period: str = Q4) -> StoredRollup:
    return next(
        r
        for r in (await store.province_rollups_over(KL226, [period]))[period]
        if r.province == province
    )


async def test_reports_move_forward_and_fold_into_their_provinces(stores: Stores) -> None:
    moved = await apply(
        stores.rollups,
        verdict("hk-1"),
        verdict("bd-1", BA_DINH, docs=20),
        verdict("vt-1", VUNG_TAU),
    )

    assert moved == 3
    reports = await stores.rollups.reports_over(KL226, [Q4, Q3], HA_NOI)
    assert [r.unit for r in reports[Q4]] == [BA_DINH, HOAN_KIEM]
    assert reports[Q3] == []
    hanoi = (await row(stores.rollups)).rollup()
    assert hanoi.tally.sums["docs_issued"] == 100
    assert (hanoi.completeness.submitted, hanoi.completeness.on_time) == (2, 2)
    assert hanoi.completeness.expected == len(
        REGISTRY.expected_in_province(
            HA_NOI, CATALOG.report_types[KL226].submitting_levels(), T0.date()
        )
    )


async def test_a_replayed_or_older_report_changes_nothing(stores: Stores) -> None:
    await apply(stores.rollups, verdict("hk-2", minutes=5, docs=90))
    before = await row(stores.rollups)

    assert await apply(stores.rollups, verdict("hk-2", minutes=5, docs=90)) == 0
    assert await apply(stores.rollups, verdict("hk-1", minutes=0, docs=10)) == 0

    assert await row(stores.rollups) == before
    (report,) = await stores.rollups.reports(KL226, Q4)
    assert (report.submission_id, report.values["docs_issued"]) == ("hk-2", 90)


async def test_a_late_correction_replaces_the_figures_and_the_unit_stays_on_time(
    stores: Stores,
) -> None:
    await apply(stores.rollups, verdict("hk-1", docs=80))
    first = await row(stores.rollups)

    assert (
        await apply(stores.rollups, verdict("hk-fix", minutes=9, timeliness="late", docs=95)) == 1
    )

    (report,) = await stores.rollups.reports(KL226, Q4)
    assert (report.submission_id, report.timeliness) == ("hk-fix", "on_time")
    hanoi = await row(stores.rollups)
    assert hanoi.rollup().tally.sums["docs_issued"] == 95
    assert hanoi.completeness.submitted == 1
    assert hanoi.version > first.version  # every write a newer version


async def test_an_on_time_report_arriving_after_its_late_correction_makes_the_unit_on_time(
    stores: Stores,
) -> None:
    await apply(stores.rollups, verdict("hk-fix", minutes=9, timeliness="late", docs=95))

    assert await apply(stores.rollups, verdict("hk-1", docs=80)) == 1

    (report,) = await stores.rollups.reports(KL226, Q4)
    assert (report.submission_id, report.timeliness, report.values["docs_issued"]) == (
        "hk-fix",
        "on_time",
        95,
    )
    assert (await row(stores.rollups)).completeness.on_time == 1


async def test_a_fold_that_cannot_take_a_report_back_is_refolded_from_the_provinces_reports(
    stores: Stores,
) -> None:
    await apply(stores.rollups, verdict("hk-1"), verdict("bd-1", BA_DINH, docs=20))
    refolded: list[tuple[RollupKey, list[str]]] = []
    aggregation = service(stores.rollups)

    def cannot(_: RollupKey, __: StoredRollup, ___: list[Change]) -> Rollup | None:
        return None

    def refold(key: RollupKey, reports: list[Any]) -> Rollup:
        refolded.append((key, [r.unit for r in reports]))
        return aggregation.refold(key, reports)

    correction = latest_per_report([verdict("hk-2", minutes=5, docs=50)])
    assert await stores.rollups.apply(correction, cannot, refold, T0) == 1

    assert refolded == [((KL226, Q4, HA_NOI), [BA_DINH, HOAN_KIEM])]
    assert (await row(stores.rollups)).rollup().tally.sums["docs_issued"] == 70


async def test_a_batch_whose_fold_fails_leaves_nothing_behind(stores: Stores) -> None:
    await apply(stores.rollups, verdict("hk-1"))
    before = await row(stores.rollups)

    def broken(*_: Any) -> Rollup:
        raise RuntimeError("the fold broke")

    with pytest.raises(RuntimeError):
        await stores.rollups.apply(
            latest_per_report([verdict("hk-2", minutes=5, docs=1)]), broken, broken, T0
        )

    (report,) = await stores.rollups.reports(KL226, Q4)
    assert report.submission_id == "hk-1"
    assert await row(stores.rollups) == before


async def test_submitted_counts_are_per_province_of_the_periods_asked(stores: Stores) -> None:
    await apply(
        stores.rollups,
        verdict("hk-1"),
        verdict("bd-1", BA_DINH),
        verdict("vt-1", VUNG_TAU),
        verdict("hk-q3", period=Q3),
    )

    counts = await stores.rollups.submitted_counts([(KL226, Q4)])

    vung_tau = REGISTRY.get(VUNG_TAU)
    assert vung_tau is not None
    assert vung_tau.province is not None
    assert counts == {(KL226, Q4, HA_NOI): 2, (KL226, Q4, vung_tau.province): 1}


async def test_reports_over_several_periods_filter_by_provinces(stores: Stores) -> None:
    await apply(
        stores.rollups, verdict("hk-q3", period=Q3), verdict("hk-q4"), verdict("vt-q4", VUNG_TAU)
    )

    everywhere = await stores.rollups.reports_over(KL226, [Q3, Q4])
    in_hanoi = await stores.rollups.reports_over(KL226, [Q3, Q4], provinces=[HA_NOI])

    assert {p: [r.unit for r in found] for p, found in everywhere.items()} == {
        Q3: [HOAN_KIEM],
        Q4: [HOAN_KIEM, VUNG_TAU],
    }
    assert {p: [r.unit for r in found] for p, found in in_hanoi.items()} == {
        Q3: [HOAN_KIEM],
        Q4: [HOAN_KIEM],
    }
    assert (await stores.rollups.reports_over(KL226, [Q4], provinces=[]))[Q4] == []


async def test_replacing_a_period_keeps_newer_stored_reports_and_leaves_other_periods(
    stores: Stores,
) -> None:
    await apply(
        stores.rollups,
        verdict("hk-new", minutes=30, docs=70),
        verdict("vt-1", VUNG_TAU),
        verdict("hk-q3", period=Q3, docs=5),
    )
    q3_before = await row(stores.rollups, period=Q3)
    aggregation = service(stores.rollups)
    source = latest_per_report([verdict("hk-old", docs=1), verdict("bd-1", BA_DINH, docs=20)])

    written = await stores.rollups.replace_period(KL226, Q4, source, aggregation.refold, T0)

    assert written == 2  # Hà Nội and Vũng Tàu's province
    units = {r.unit: r.submission_id for r in await stores.rollups.reports(KL226, Q4)}
    assert units == {HOAN_KIEM: "hk-new", BA_DINH: "bd-1", VUNG_TAU: "vt-1"}
    hanoi = await row(stores.rollups)
    assert hanoi.rollup().tally.sums["docs_issued"] == 90
    assert hanoi.completeness == Completeness(hanoi.completeness.expected, 2, 2, 0)
    assert await row(stores.rollups, period=Q3) == q3_before


async def test_approvals_say_who_signed_off_for_the_periods_and_units_asked(
    stores: Stores,
) -> None:
    await stores.record_approval(KL226, Q4, HA_NOI, Approval.PROVINCE_APPROVED)
    await stores.record_approval(KL226, Q3, HA_NOI, Approval.CENTRAL_ACCEPTED)
    await stores.record_approval(KL226, Q4, "79", Approval.CENTRAL_ACCEPTED)

    found = await stores.approvals.approvals(KL226, [Q3, Q4], [HA_NOI, HOAN_KIEM])

    assert found == {
        (Q4, HA_NOI): Approval.PROVINCE_APPROVED,
        (Q3, HA_NOI): Approval.CENTRAL_ACCEPTED,
    }
    assert await stores.approvals.approvals("lg2-monthly", [Q4], [HA_NOI]) == {}
