"""The aggregation and read use cases on the in-memory stores (tests/fakes/aggregator.py, held
to PostgreSQL's behaviour by tests/integration/contracts/test_aggregator_stores.py)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.aggregator.adapters.totals_cache import InMemoryTotals
from services.aggregator.domain.latest import StoredReport
from services.aggregator.usecases.aggregation import AggregationService
from services.aggregator.usecases.ports import RollupKey
from services.aggregator.usecases.read_lists import UnitListReader
from services.aggregator.usecases.read_rollups import RollupReader
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.refusals import Kind, NotFound
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Verdict
from tests.fakes.aggregator import InMemoryRollupStore

KL226, Q4 = "kl226-quarterly", "2026-Q4"
HOAN_KIEM, CUA_NAM, BA_DINH, HA_NOI, VUNG_TAU = "00070", "00073", "00004", "01", "26506"
T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)
CATALOG = Catalog.load()
REGISTRY = Registry(units_from_package())


class CountingStore(InMemoryRollupStore):
    """Counts the reads of units' reports, to see when the totals cache spares one."""

    def __init__(self) -> None:
        super().__init__()
        self.report_reads = 0

    async def reports_over(
        self,
        report_type: str,
        periods: list[str],
        province: str | None = None,
        *,
        provinces: list[str] | None = None,
    ) -> dict[str, list[StoredReport]]:
        self.report_reads += 1
        return await super().reports_over(report_type, periods, province, provinces=provinces)


class System:
    def __init__(self) -> None:
        self.store = CountingStore()
        self.touched: list[RollupKey] = []
        self.aggregation = AggregationService(
            catalog=CATALOG,
            registry=REGISTRY,
            clock=FixedClock(T0),
            store=self.store,
            on_change=self._changed,
            partitions=2,
        )
        self.rollups = RollupReader(CATALOG, REGISTRY, self.store, InMemoryTotals())
        self.lists = UnitListReader(CATALOG, REGISTRY, self.store)

    async def _changed(self, keys: Collection[RollupKey]) -> None:
        self.touched.extend(keys)


def verdict(
    unit: str,
    submission_id: str | None = None,
    *,
    period: str = Q4,
    minutes: int = 0,
    timeliness: str = "on_time",
    **values: Any,
) -> Verdict:
    found = REGISTRY.get(unit)
    assert found is not None
    figures: dict[str, Any] = {
        "docs_issued": 80,
        "docs_issued_prev_year": 100,
        "conferences_total": 10,
        "conferences_in_person": 3,
        "conferences_online": 7,
        "conferences_over_duration": 1,
        "procedures_total": 200,
        "procedures_online": 192,
        "reports_total": 20,
        "reports_over_network": 20,
        "conference_budget_planned": Decimal("50.5"),
        "conference_budget_spent": Decimal("40.25"),
    }
    figures.update(values)
    return Verdict(
        submission_id=submission_id or f"{unit}-{period}-{minutes}",
        report_type=KL226,
        period=period,
        unit=unit,
        province=found.province,
        status="accepted",
        received_at=T0 + timedelta(minutes=minutes),
        stream_seq=1,
        timeliness=timeliness,
        values=figures,
    )


@pytest.fixture
def system() -> System:
    return System()


async def test_accepted_reports_reach_their_province_and_the_nation(system: System) -> None:
    await system.aggregation.apply(
        [verdict(HOAN_KIEM), verdict(BA_DINH, docs_issued=20), verdict(VUNG_TAU, docs_issued=5)]
    )

    national = await system.rollups.national(KL226, Q4)

    assert national.figures.values["docs_issued"] == 105
    assert national.children is not None
    hanoi = next(c for c in national.children if c.unit.code == HA_NOI)
    assert hanoi.values["docs_issued"] == 100
    assert hanoi.completeness.submitted == 2
    assert len(national.children) == 34
    assert (KL226, Q4, HA_NOI) in system.touched


async def test_a_correction_replaces_a_units_figures_and_a_replay_changes_nothing(
    system: System,
) -> None:
    await system.aggregation.apply([verdict(HOAN_KIEM)])
    await system.aggregation.apply([verdict(HOAN_KIEM, "fix", minutes=5, docs_issued=60)])
    await system.aggregation.apply([verdict(HOAN_KIEM)])  # the first one, delivered again

    hanoi = await system.rollups.for_unit(KL226, Q4, HA_NOI)

    assert hanoi.figures.values["docs_issued"] == 60
    assert hanoi.figures.completeness.submitted == 1


async def test_a_province_lists_its_communes_with_their_own_figures(system: System) -> None:
    await system.aggregation.apply([verdict(HOAN_KIEM, docs_issued=90)])

    hanoi = await system.rollups.for_unit(KL226, Q4, HA_NOI)
    commune = await system.rollups.for_unit(KL226, Q4, HOAN_KIEM)

    assert hanoi.children is not None
    own = {c.unit.code: c for c in hanoi.children}
    assert own[HOAN_KIEM].values["docs_issued"] == 90
    assert own[CUA_NAM].values["docs_issued"] is None  # has not reported: missing, not zero
    assert own[HOAN_KIEM].derived["docs_reduction_pct"] == {
        "value": 10,
        "target": ">= 15",
        "met": False,
    }
    assert commune.children is None
    assert commune.figures.targets["docs_reduction_pct"].missed == 1


async def test_a_year_is_its_quarters_compared_with_the_year_before(system: System) -> None:
    for period, docs in (("2025-Q4", 1000), ("2026-Q1", 300), ("2026-Q4", 500)):
        await system.aggregation.apply([verdict(HOAN_KIEM, period=period, docs_issued=docs)])

    year = await system.rollups.national(KL226, "2026")

    assert year.figures.periods == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert year.figures.values["docs_issued"] == 800
    assert year.compared_with is not None
    assert year.compared_with.period == "2025"
    assert year.compared_with.values["docs_issued"] == 1000
    assert year.compared_with.change_pct["docs_issued"] == -20.0


async def test_a_years_province_totals_are_read_again_only_after_a_row_changes(
    system: System,
) -> None:
    await system.aggregation.apply([verdict(HOAN_KIEM, period="2026-Q1", docs_issued=300)])
    first = await system.rollups.national(KL226, "2026")
    reads = system.store.report_reads

    again = await system.rollups.national(KL226, "2026")
    assert system.store.report_reads == reads  # the cache answered
    await system.aggregation.apply([verdict(HOAN_KIEM, period="2026-Q1", minutes=5, docs_issued=1)])
    corrected = await system.rollups.national(KL226, "2026")

    assert again == first
    assert system.store.report_reads > reads
    assert corrected.figures.values["docs_issued"] == 1


async def test_the_feeds_summaries_carry_versions_that_grow_with_every_write(
    system: System,
) -> None:
    await system.aggregation.apply([verdict(HOAN_KIEM)])
    before = await system.rollups.summaries(KL226, Q4, [HA_NOI])
    await system.aggregation.apply([verdict(BA_DINH)])
    after = await system.rollups.summaries(KL226, Q4, [HA_NOI])

    assert set(after) == {HA_NOI, "VN"}
    assert after[HA_NOI][1] > before[HA_NOI][1]
    assert after["VN"][1] > before["VN"][1]
    assert after["VN"][0].values["docs_issued"] == 160


async def test_the_late_list_names_missing_and_late_units_with_their_deadlines(
    system: System,
) -> None:
    await system.aggregation.apply(
        [verdict(HOAN_KIEM), verdict(BA_DINH, timeliness="late", minutes=1)]
    )

    late = await system.lists.late(KL226, Q4, HA_NOI)

    statuses = {u.unit.code: u.status for u in late.units}
    assert HOAN_KIEM not in statuses
    assert statuses[BA_DINH] == "late"
    assert statuses[CUA_NAM] == "missing"
    assert all(u.deadline is not None for u in late.units)


async def test_units_missing_a_target_are_listed_with_their_own_figure(system: System) -> None:
    await system.aggregation.apply(
        [verdict(HOAN_KIEM, docs_issued=90), verdict(BA_DINH, docs_issued=70)]
    )

    found = await system.lists.missing_target(KL226, Q4, "docs_reduction_pct", None)

    assert [(u.unit, u.value) for u in found.units] == [(HOAN_KIEM, 10)]
    assert found.rule == ">= 15"


@pytest.mark.parametrize(
    ("ask", "reason"),
    [
        (lambda s: s.rollups.national("nope", Q4), "unknown_report_type"),
        (lambda s: s.rollups.national(KL226, "2026-11"), "invalid_period"),
        (lambda s: s.rollups.for_unit(KL226, Q4, "99999"), "unknown_unit"),
        (lambda s: s.lists.late(KL226, "2026", None), "invalid_period"),
        (lambda s: s.lists.late(KL226, Q4, HOAN_KIEM), "unknown_province"),
        (lambda s: s.lists.missing_target(KL226, Q4, "docs_issued", None), "unknown_target"),
    ],
)
async def test_asking_for_what_does_not_exist_is_refused_as_not_found(
    system: System, ask: Any, reason: str
) -> None:
    with pytest.raises(NotFound) as refused:
        await ask(system)

    assert refused.value.reason == reason
    assert refused.value.kind == Kind.NOT_FOUND
