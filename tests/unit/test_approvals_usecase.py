"""The approvals use case on in-memory stores: who may take which step, what is refused with
which kind, and what a province or Central then sees (no database, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.validator import metrics
from services.validator.domain.approvals import Step, StepRefused
from services.validator.usecases.approvals import Approvals
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.identity import Caller, Forbidden, Role
from shared.refusals import Kind, Refusal
from shared.registry import Registry
from shared.registry.seed import units_from_package
from tests.fakes.validator import InMemoryApprovalStore

KL226, Q4 = "kl226-quarterly", "2026-Q4"
HA_NOI, HOAN_KIEM, HO_CHI_MINH = "01", "00070", "79"
AFTER_Q4_OPENS = datetime(2027, 1, 5, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


@pytest.fixture
def store() -> InMemoryApprovalStore:
    return InMemoryApprovalStore()


@pytest.fixture
def approvals(store: InMemoryApprovalStore, registry: Registry, catalog: Catalog) -> Approvals:
    return Approvals(store, registry, catalog, FixedClock(AFTER_Q4_OPENS))


def approver(unit: str) -> Caller:
    return Caller(subject=f"{unit}-official", unit=unit, roles=frozenset({Role.APPROVER}))


def reader(unit: str) -> Caller:
    return Caller(subject=f"{unit}-reader", unit=unit, roles=frozenset({Role.READER}))


async def refused(
    approvals: Approvals, caller: Caller, step: Step, unit: str, **kw: str
) -> Refusal:
    with pytest.raises(Refusal) as refusal:
        await approvals.take(caller, step, KL226, kw.get("period", Q4), unit, kw.get("reason"))
    return refusal.value


async def test_a_province_approves_once_and_a_repeat_changes_nothing(
    approvals: Approvals, store: InMemoryApprovalStore
) -> None:
    first = await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HA_NOI)
    again = await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HA_NOI)

    assert first.outcome.changed
    assert first.outcome.after is not None
    assert (first.outcome.after.approved_by, first.outcome.after.approved_at) == (
        HA_NOI,
        AFTER_Q4_OPENS,
    )
    assert not again.outcome.changed
    assert [e.action for e in store.tables.approval_log] == [Step.APPROVE]


@pytest.mark.parametrize(
    ("caller", "step", "unit", "reason", "expected"),
    [
        (HO_CHI_MINH, Step.APPROVE, HOAN_KIEM, None, ("not_the_province", Kind.FORBIDDEN)),
        (HA_NOI, Step.ACCEPT, HA_NOI, None, ("not_central", Kind.FORBIDDEN)),
        (HA_NOI, Step.UNAPPROVE, HA_NOI, None, ("reason_required", Kind.INVALID)),
        ("VN", Step.APPROVE, "VN", None, ("not_approvable", Kind.INVALID)),
        ("VN", Step.ACCEPT, HOAN_KIEM, None, ("not_a_province", Kind.INVALID)),
        (HA_NOI, Step.UNAPPROVE, HA_NOI, "sửa", ("not_approved", Kind.CONFLICT)),
        ("VN", Step.UNACCEPT, HA_NOI, "sửa", ("not_approved", Kind.CONFLICT)),
    ],
)
async def test_a_refused_step_names_its_reason_and_kind_and_is_counted(
    approvals: Approvals,
    caller: str,
    step: Step,
    unit: str,
    reason: str | None,
    expected: tuple[str, Kind],
) -> None:
    counted = metrics.approval_refusals.labels(step.value, expected[0])
    before = counted._value.get()

    refusal = await refused(
        approvals, approver(caller), step, unit, **({"reason": reason} if reason else {})
    )

    assert isinstance(refusal, StepRefused)
    assert (refusal.reason, refusal.kind) == expected
    assert counted._value.get() == before + 1


async def test_what_central_accepted_is_not_unapproved_until_central_unaccepts(
    approvals: Approvals,
) -> None:
    await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HA_NOI)
    await approvals.take(approver("VN"), Step.ACCEPT, KL226, Q4, HA_NOI)

    blocked = await refused(approvals, approver(HA_NOI), Step.UNAPPROVE, HA_NOI, reason="sửa")
    await approvals.take(approver("VN"), Step.UNACCEPT, KL226, Q4, HA_NOI, "Tỉnh cần sửa")
    undone = await approvals.take(approver(HA_NOI), Step.UNAPPROVE, KL226, Q4, HA_NOI, "sửa")

    assert (blocked.reason, blocked.kind) == ("accepted_by_central", Kind.CONFLICT)
    assert undone.outcome.after is None


async def test_a_period_not_yet_open_cannot_be_approved(approvals: Approvals) -> None:
    refusal = await refused(approvals, approver(HA_NOI), Step.APPROVE, HA_NOI, period="2027-Q4")

    assert (refusal.reason, refusal.kind) == ("period_not_open", Kind.CONFLICT)


@pytest.mark.parametrize(
    ("report_type", "period", "unit", "reason"),
    [
        ("nope", Q4, HA_NOI, "unknown_report_type"),
        (KL226, "2026-13", HA_NOI, "invalid_period"),
        (KL226, Q4, "99999", "unknown_unit"),
    ],
)
async def test_what_the_path_names_must_exist(
    approvals: Approvals, report_type: str, period: str, unit: str, reason: str
) -> None:
    with pytest.raises(Refusal) as refusal:
        await approvals.take(approver("VN"), Step.APPROVE, report_type, period, unit)

    assert (refusal.value.reason, refusal.value.kind) == (reason, Kind.NOT_FOUND)


async def test_only_an_approver_takes_a_step(approvals: Approvals) -> None:
    with pytest.raises(Forbidden) as refusal:
        await approvals.take(reader(HA_NOI), Step.APPROVE, KL226, Q4, HA_NOI)

    assert refusal.value.reason == "role_required"


async def test_a_province_sees_itself_with_its_communes_approved_alone_central_sees_all(
    approvals: Approvals,
) -> None:
    await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HOAN_KIEM)

    own = await approvals.by_province(reader(HA_NOI), KL226, Q4)
    everyone = await approvals.by_province(reader("VN"), KL226, Q4)

    [ha_noi] = own
    assert ha_noi.province.code == HA_NOI
    assert ha_noi.own is None
    assert [c.unit for c in ha_noi.communes] == [HOAN_KIEM]
    assert len(everyone) == 34


async def test_a_commune_under_an_approved_province_is_locked_and_the_provinces_log_has_it(
    approvals: Approvals,
) -> None:
    await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HOAN_KIEM)
    await approvals.take(approver(HA_NOI), Step.UNAPPROVE, KL226, Q4, HOAN_KIEM, "sửa")
    await approvals.take(approver(HA_NOI), Step.APPROVE, KL226, Q4, HA_NOI)

    commune = await approvals.of_unit(reader(HOAN_KIEM), KL226, Q4, HOAN_KIEM)
    province = await approvals.of_unit(reader("VN"), KL226, Q4, HA_NOI)

    assert commune.locked
    assert commune.own is None
    assert commune.covered_by is not None
    assert commune.covered_by.unit == HA_NOI
    assert [(e.unit, e.action) for e in province.log] == [
        (HOAN_KIEM, Step.APPROVE),
        (HOAN_KIEM, Step.UNAPPROVE),
        (HA_NOI, Step.APPROVE),
    ]


async def test_another_provinces_unit_is_out_of_reach(approvals: Approvals) -> None:
    with pytest.raises(Forbidden) as refusal:
        await approvals.of_unit(reader(HO_CHI_MINH), KL226, Q4, HOAN_KIEM)

    assert refusal.value.reason == "not_your_unit"
