"""The validator's lock-exception and audit-history use cases on in-memory stores: who may
reopen a report, what each caller sees, and how the history pages and links submissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.validator.usecases.history import Audit
from services.validator.usecases.lock_exceptions import LockExceptions
from shared.catalog import Catalog
from shared.clock import FixedClock
from shared.identity import Caller, Forbidden, Role
from shared.refusals import Kind, Refusal
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import LockExceptionRequest, Verdict
from tests.fakes.validator import (
    InMemoryHistoryStore,
    InMemoryLockExceptionStore,
    InMemoryValidatorTables,
)

KL226, Q3, Q4 = "kl226-quarterly", "2026-Q3", "2026-Q4"
HA_NOI, HOAN_KIEM, BA_DINH, HO_CHI_MINH = "01", "00070", "00004", "79"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


@pytest.fixture
def tables() -> InMemoryValidatorTables:
    return InMemoryValidatorTables()


@pytest.fixture
def reopening(tables: InMemoryValidatorTables, registry: Registry) -> LockExceptions:
    return LockExceptions(
        InMemoryLockExceptionStore(tables), registry, Catalog.load(), FixedClock(NOW)
    )


@pytest.fixture
def audit(tables: InMemoryValidatorTables, registry: Registry) -> Audit:
    return Audit(InMemoryHistoryStore(tables), registry)


def caller(unit: str, role: Role = Role.APPROVER) -> Caller:
    return Caller(subject=f"{unit}-someone", unit=unit, roles=frozenset({role}))


def wanted(unit: str = HOAN_KIEM, **overrides: Any) -> LockExceptionRequest:
    fields = {"unit": unit, "report_type": KL226, "period": Q3, "reason": "Xã bổ sung"}
    return LockExceptionRequest.model_validate({**fields, **overrides})


async def refusal_of(work: Any) -> Refusal:
    with pytest.raises(Refusal) as refused:
        await work
    return refused.value


# --- Lock exceptions ----------------------------------------------------------------------------


async def test_a_province_reopens_its_communes_report_and_sees_it_listed(
    reopening: LockExceptions,
) -> None:
    granted = await reopening.grant(caller(HA_NOI), wanted())

    listed = await reopening.listed(caller(HA_NOI, Role.READER))

    assert (granted.granted_by, granted.granted_at, granted.reason) == (HA_NOI, NOW, "Xã bổ sung")
    assert listed == [granted]


@pytest.mark.parametrize(
    ("who", "request_", "expected"),
    [
        (HO_CHI_MINH, wanted(), ("not_the_province", Kind.FORBIDDEN)),
        (HA_NOI, wanted("99999"), ("unknown_unit", Kind.INVALID)),
        (HA_NOI, wanted(report_type="nope"), ("unknown_report_type", Kind.INVALID)),
        (HA_NOI, wanted(period="2026-13"), ("invalid_period", Kind.INVALID)),
    ],
)
async def test_a_grant_is_refused_for_another_province_or_what_does_not_exist(
    reopening: LockExceptions, who: str, request_: LockExceptionRequest, expected: tuple[str, Kind]
) -> None:
    refusal = await refusal_of(reopening.grant(caller(who), request_))

    assert (refusal.reason, refusal.kind) == expected


async def test_only_an_approver_reopens(reopening: LockExceptions) -> None:
    with pytest.raises(Forbidden):
        await reopening.grant(caller(HA_NOI, Role.READER), wanted())


async def test_each_caller_lists_only_what_it_reaches(reopening: LockExceptions) -> None:
    await reopening.grant(caller("VN"), wanted(HOAN_KIEM))
    await reopening.grant(caller("VN"), wanted("26506"))

    own = await reopening.listed(caller(HOAN_KIEM, Role.READER))
    everyone = await reopening.listed(caller("VN", Role.READER))
    unknown = await refusal_of(reopening.listed(caller("VN"), "99999"))

    assert [e.unit for e in own] == [HOAN_KIEM]
    assert len(everyone) == 2
    assert (unknown.reason, unknown.kind) == ("unknown_unit", Kind.NOT_FOUND)
    with pytest.raises(Forbidden):
        await reopening.listed(caller(BA_DINH, Role.READER), HOAN_KIEM)


async def test_a_revoked_exception_is_gone_and_a_second_revocation_is_not_found(
    reopening: LockExceptions,
) -> None:
    await reopening.grant(caller(HA_NOI), wanted())

    await reopening.revoke(caller(HA_NOI), HOAN_KIEM, KL226, Q3)
    again = await refusal_of(reopening.revoke(caller(HA_NOI), HOAN_KIEM, KL226, Q3))

    assert await reopening.listed(caller("VN")) == []
    assert (again.reason, again.kind) == ("unknown_lock_exception", Kind.NOT_FOUND)


# --- The audit history --------------------------------------------------------------------------


def verdict(submission_id: str, minutes: int, status: str = "accepted", **values: int) -> Verdict:
    return Verdict(
        submission_id=submission_id,
        report_type=KL226,
        period=Q4,
        unit=HOAN_KIEM,
        province=HA_NOI,
        status=status,
        received_at=NOW + timedelta(minutes=minutes),
        stream_seq=minutes,
        values=values or None,
    )


async def test_the_history_pages_newest_first_and_links_what_superseded_what(
    audit: Audit, tables: InMemoryValidatorTables
) -> None:
    for v in (
        verdict("a", 1, docs_issued=80),
        verdict("b", 2, "rejected"),
        verdict("c", 3, docs_issued=85),
    ):
        tables.submissions[v.submission_id] = v

    first = await audit.page(caller(HA_NOI, Role.READER), HOAN_KIEM, limit=2)
    rest = await audit.page(
        caller(HA_NOI, Role.READER), HOAN_KIEM, limit=2, cursor=first.next_cursor
    )

    assert [e.verdict.submission_id for e in first.entries] == ["c", "b"]
    newest = first.entries[0].links
    assert newest is not None
    assert (newest.supersedes, newest.superseded_by) == ("a", None)
    assert newest.changes is not None
    assert {code: (c.before, c.after) for code, c in newest.changes.items()} == {
        "docs_issued": (80, 85)
    }
    assert first.entries[1].links is None
    assert [(e.verdict.submission_id, e.superseded) for e in rest.entries] == [("a", True)]
    assert rest.next_cursor is None


@pytest.mark.parametrize(
    ("unit", "cursor", "expected"),
    [
        ("99999", None, ("unknown_unit", Kind.NOT_FOUND)),
        (HOAN_KIEM, "not-a-cursor", ("invalid_cursor", Kind.INVALID)),
        (HO_CHI_MINH, None, ("not_your_unit", Kind.FORBIDDEN)),
    ],
)
async def test_the_history_of_an_unknown_or_unreachable_unit_or_a_bad_cursor_is_refused(
    audit: Audit, unit: str, cursor: str | None, expected: tuple[str, Kind]
) -> None:
    refusal = await refusal_of(audit.page(caller(HA_NOI, Role.READER), unit, cursor=cursor))

    assert (refusal.reason, refusal.kind) == expected
