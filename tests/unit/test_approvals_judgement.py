"""An approved report is locked: the validator refuses revisions with period_locked."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.validator.domain.approvals import Approval
from services.validator.domain.judgement import Judgement, LockKey, judge
from services.validator.domain.verdicts import approval_keys
from shared.catalog import Catalog
from shared.periods import VIETNAM
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Submission
from tests.unit.test_judgement import HA_NOI, HOAN_KIEM, ON_TIME, submission

BA_DINH = "00004"  # another commune of Hà Nội
APPROVED_AT = datetime(2026, 3, 9, 15, 30, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


def approval(unit: str, by: str = HA_NOI) -> dict[LockKey, Approval]:
    return {
        (unit, "kl226-quarterly", "2026-Q1"): Approval(
            "kl226-quarterly", "2026-Q1", unit, by, APPROVED_AT
        )
    }


def judged(
    catalog: Catalog,
    registry: Registry,
    report: Submission,
    approvals: dict[LockKey, Approval],
    **options: object,
) -> Judgement:
    return judge(
        report,
        catalog=catalog,
        registry=registry,
        received_at=ON_TIME,
        approvals=approvals,
        **options,  # type: ignore[arg-type]
    )


def test_a_commune_approved_on_its_own_is_refused_naming_who_approved_and_when(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = judged(catalog, registry, submission(), approval(HOAN_KIEM))

    assert not judgement.accepted
    [reason] = judgement.reasons
    assert reason.code == "period_locked"
    assert "01" in reason.message_en
    assert "15:30 09/03/2026" in reason.message_en
    assert "15:30 09/03/2026" in reason.message


def test_a_provinces_approval_locks_its_communes_and_its_own_report(
    catalog: Catalog, registry: Registry
) -> None:
    communes = judged(catalog, registry, submission(), approval(HA_NOI, by="VN"))
    own = judged(catalog, registry, submission(unit=HA_NOI), approval(HA_NOI, by="VN"))

    assert [r.code for r in communes.reasons] == ["period_locked"]
    assert "VN" in communes.reasons[0].message_en
    assert "province 01" in communes.reasons[0].message_en
    assert [r.code for r in own.reasons] == ["period_locked"]


def test_a_communes_approval_locks_neither_its_neighbours_nor_its_province(
    catalog: Catalog, registry: Registry
) -> None:
    neighbour = judged(catalog, registry, submission(unit=BA_DINH), approval(HOAN_KIEM))
    province = judged(catalog, registry, submission(unit=HA_NOI), approval(HOAN_KIEM))

    assert neighbour.accepted
    assert province.accepted


def test_an_approval_of_another_period_or_report_type_locks_nothing(
    catalog: Catalog, registry: Registry
) -> None:
    other = {
        (HOAN_KIEM, "kl226-quarterly", "2025-Q4"): Approval(
            "kl226-quarterly", "2025-Q4", HOAN_KIEM, HA_NOI, APPROVED_AT
        )
    }

    assert judged(catalog, registry, submission(), other).accepted


def test_a_lock_exception_does_not_lift_an_approval(catalog: Catalog, registry: Registry) -> None:
    judgement = judged(
        catalog,
        registry,
        submission(),
        approval(HA_NOI),
        lock_exceptions={(HOAN_KIEM, "kl226-quarterly", "2026-Q1")},
    )

    assert [r.code for r in judgement.reasons] == ["period_locked"]


def test_a_report_with_errors_gets_its_errors_not_the_lock(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = judged(catalog, registry, submission(docs_issued=-1), approval(HA_NOI))

    assert [r.code for r in judgement.reasons] == ["negative_value"]


def test_the_batch_looks_up_each_units_own_approval_and_its_provinces(
    catalog: Catalog, registry: Registry
) -> None:
    keys = approval_keys(
        [submission(), submission(unit=HA_NOI), submission(unit="99999")], catalog, registry
    )

    assert keys == {
        (HOAN_KIEM, "kl226-quarterly", "2026-Q1"),
        (HA_NOI, "kl226-quarterly", "2026-Q1"),
    }
