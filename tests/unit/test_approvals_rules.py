"""Who may approve, unapprove, accept and unaccept what, and in which order (DHIS2's rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.validator.domain.approvals import (
    Approval,
    Outcome,
    Request,
    Step,
    StepRefused,
    covering,
    decide,
)
from shared.catalog import Level
from shared.registry import Unit

HA_NOI = Unit("01", "Thành phố Hà Nội", Level.PROVINCE, "thanh-pho", "VN", date(2025, 7, 1))
HOAN_KIEM = Unit("00070", "Phường Hoàn Kiếm", Level.COMMUNE, "phuong", "01", date(2025, 7, 1))
CENTRAL = Unit("VN", "Trung ương", Level.CENTRAL, "trung-uong", None, date(2025, 7, 1))
AT = datetime(2027, 1, 5, 2, tzinfo=UTC)
LATER = datetime(2027, 1, 6, 2, tzinfo=UTC)


def step(step: Step, caller: str, unit: Unit = HA_NOI, reason: str | None = None) -> Request:
    return Request(step, caller, unit, "kl226-quarterly", "2026-Q4", LATER, reason)


def approved(unit: str = "01", *, accepted: bool = False) -> Approval:
    return Approval(
        "kl226-quarterly",
        "2026-Q4",
        unit,
        "01",
        AT,
        "VN" if accepted else None,
        AT if accepted else None,
    )


def refusal(request: Request, own: Approval | None, province: Approval | None = None) -> str:
    with pytest.raises(StepRefused) as refused:
        decide(request, own, province)
    return refused.value.reason


def test_a_province_approves_its_own_data_and_the_step_is_logged() -> None:
    outcome = decide(step(Step.APPROVE, "01"), None, None)

    assert outcome.after == Approval("kl226-quarterly", "2026-Q4", "01", "01", LATER)
    assert outcome.entry is not None
    assert (outcome.entry.action, outcome.entry.actor, outcome.entry.at) == (
        Step.APPROVE,
        "01",
        LATER,
    )


def test_approving_again_changes_nothing_and_logs_nothing() -> None:
    outcome = decide(step(Step.APPROVE, "01"), approved(), None)

    assert outcome == Outcome(approved(), None)
    assert not outcome.changed


@pytest.mark.parametrize(
    ("caller", "unit", "allowed"),
    [
        ("01", HOAN_KIEM, True),  # its province
        ("VN", HOAN_KIEM, True),  # Central
        ("00070", HOAN_KIEM, False),  # a commune cannot approve its own data
        ("79", HOAN_KIEM, False),  # nor another province
        ("VN", HA_NOI, True),
        ("79", HA_NOI, False),
    ],
)
def test_only_the_units_province_or_central_approve(caller: str, unit: Unit, allowed: bool) -> None:
    request = step(Step.APPROVE, caller, unit)

    if allowed:
        assert decide(request, None, None).changed
    else:
        assert refusal(request, None) == "not_the_province"


def test_central_itself_is_not_approved() -> None:
    assert refusal(step(Step.APPROVE, "VN", CENTRAL), None) == "not_approvable"


def test_a_commune_under_an_approved_province_is_neither_approved_nor_unapproved_alone() -> None:
    assert refusal(step(Step.APPROVE, "01", HOAN_KIEM), None, approved()) == "approved_by_province"
    assert (
        refusal(step(Step.UNAPPROVE, "01", HOAN_KIEM, "sửa"), approved("00070"), approved())
        == "approved_by_province"
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_unapproving_needs_a_reason(reason: str | None) -> None:
    assert refusal(step(Step.UNAPPROVE, "01", reason=reason), approved()) == "reason_required"


def test_unapproving_removes_the_row_and_logs_who_and_why() -> None:
    outcome = decide(step(Step.UNAPPROVE, "01", reason=" Xã bổ sung số liệu "), approved(), None)

    assert outcome.after is None
    assert outcome.entry is not None
    assert (outcome.entry.action, outcome.entry.reason) == (Step.UNAPPROVE, "Xã bổ sung số liệu")


def test_what_is_not_approved_cannot_be_unapproved_or_accepted() -> None:
    assert refusal(step(Step.UNAPPROVE, "01", reason="x"), None) == "not_approved"
    assert refusal(step(Step.ACCEPT, "VN"), None) == "not_approved"


def test_what_central_accepted_cannot_be_unapproved_until_central_unaccepts() -> None:
    assert (
        refusal(step(Step.UNAPPROVE, "01", reason="x"), approved(accepted=True))
        == "accepted_by_central"
    )
    unaccepted = decide(
        step(Step.UNACCEPT, "VN", reason="Tỉnh cần sửa"), approved(accepted=True), None
    )
    assert unaccepted.after == approved()
    assert decide(step(Step.UNAPPROVE, "01", reason="x"), unaccepted.after, None).after is None


def test_only_central_accepts_and_only_a_provinces_data() -> None:
    assert refusal(step(Step.ACCEPT, "01"), approved()) == "not_central"
    assert refusal(step(Step.ACCEPT, "VN", HOAN_KIEM), approved("00070")) == "not_a_province"

    outcome = decide(step(Step.ACCEPT, "VN"), approved(), None)

    assert outcome.after is not None
    assert (outcome.after.approved_by, outcome.after.approved_at) == ("01", AT)
    assert (outcome.after.accepted_by, outcome.after.accepted_at) == ("VN", LATER)


def test_accepting_again_changes_nothing() -> None:
    assert not decide(step(Step.ACCEPT, "VN"), approved(accepted=True), None).changed


def test_unaccepting_needs_a_reason_and_an_acceptance() -> None:
    assert refusal(step(Step.UNACCEPT, "VN"), approved(accepted=True)) == "reason_required"
    assert refusal(step(Step.UNACCEPT, "VN", reason="x"), approved()) == "not_accepted"
    assert refusal(step(Step.UNACCEPT, "01", reason="x"), approved(accepted=True)) == "not_central"


def test_a_communes_report_is_locked_by_its_own_row_or_its_provinces() -> None:
    assert covering("00070", "01", "kl226-quarterly", "2026-Q4") == [
        ("00070", "kl226-quarterly", "2026-Q4"),
        ("01", "kl226-quarterly", "2026-Q4"),
    ]
    assert covering("01", "01", "kl226-quarterly", "2026-Q4") == [
        ("01", "kl226-quarterly", "2026-Q4")
    ]
