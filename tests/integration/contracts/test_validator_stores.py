"""The validator's stores, one contract each, run against the in-memory fakes and PostgreSQL.

Every test takes ``stores``, parametrized by implementation: what passes here for the fake is
what the use-case unit tests may rely on. In PostgreSQL the stores share tables (an approval
written by one is a lock read by another), and so do the fakes (InMemoryValidatorTables).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao.unit_keys import PublicKey, register
from services.validator.adapters.approval_store import ApprovalStore
from services.validator.adapters.history_store import HistoryStore
from services.validator.adapters.lock_exceptions import LockExceptionStore
from services.validator.adapters.signing_keys import SigningKeyStore
from services.validator.adapters.verdict_store import VerdictStore
from services.validator.domain.approvals import (
    Approval,
    ApprovalsChanged,
    LogEntry,
    Outcome,
    Step,
    StepRefused,
)
from services.validator.domain.history import Cursor
from services.validator.domain.signatures import UnitKey
from services.validator.usecases.ports import (
    ApprovalRecords,
    HistoryPages,
    LockExceptionRecords,
    SigningKeys,
    VerdictRecords,
)
from shared.db import create_pool
from shared.schemas import LockException, Verdict
from shared.signing import encode_value
from tests.fakes.validator import (
    InMemoryApprovalStore,
    InMemoryHistoryStore,
    InMemoryLockExceptionStore,
    InMemorySigningKeys,
    InMemoryValidatorTables,
    InMemoryVerdictStore,
)
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

KL226, Q4, Q3 = "kl226-quarterly", "2026-Q4", "2026-Q3"
HOAN_KIEM, BA_DINH, HA_NOI = "00070", "00004", "01"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
REQUIRED_FROM = datetime(2027, 7, 1, tzinfo=UTC)


@dataclass
class SigningAdmin:
    """What ops do with ``baocao signing-key``: register, revoke, set a unit's date."""

    register: Callable[[UnitKey, str], Awaitable[None]]  # the key, its public key as text
    revoke: Callable[[str, str, str, datetime], Awaitable[None]]
    require: Callable[[str, datetime], Awaitable[None]]


@dataclass
class Stores:
    verdicts: VerdictRecords
    approvals: ApprovalRecords
    history: HistoryPages
    lock_exceptions: LockExceptionRecords
    signing_keys: SigningKeys
    admin: SigningAdmin


@pytest.fixture
async def stores(backend: str | None) -> AsyncIterator[Stores]:
    if backend is None:
        tables = InMemoryValidatorTables()
        keys = InMemorySigningKeys(REQUIRED_FROM, timedelta(days=90))

        async def register_fake(key: UnitKey, _: str) -> None:
            keys.register(key)

        async def revoke_fake(unit: str, key_id: str, reason: str, at: datetime) -> None:
            keys.revoke(unit, key_id, reason, at)

        async def require_fake(unit: str, when: datetime) -> None:
            keys.require(unit, when)

        yield Stores(
            InMemoryVerdictStore(tables),
            InMemoryApprovalStore(tables),
            InMemoryHistoryStore(tables),
            InMemoryLockExceptionStore(tables),
            keys,
            SigningAdmin(register_fake, revoke_fake, require_fake),
        )
        return
    # The stores log in as the validator does; keys are registered by the owner, as ops do.
    pool = await create_pool(service_url(backend, "validator"), min_size=1, max_size=4)
    owner = await asyncpg.connect(backend)

    async def register_real(key: UnitKey, public: str) -> None:
        await register(owner, [PublicKey(key.unit, key.key_id, public)], key.valid_from)

    async def revoke_real(unit: str, key_id: str, reason: str, at: datetime) -> None:
        await owner.execute(
            "UPDATE unit_signing_keys SET revoked_at = $4, revoked_reason = $3"
            " WHERE unit = $1 AND key_id = $2",
            unit,
            key_id,
            reason,
            at,
        )

    async def require_real(unit: str, when: datetime) -> None:
        await owner.execute(
            "INSERT INTO unit_signature_policy (unit, required_from) VALUES ($1, $2)", unit, when
        )

    try:
        yield Stores(
            VerdictStore(pool),
            ApprovalStore(pool),
            HistoryStore(pool),
            LockExceptionStore(pool),
            SigningKeyStore(pool, required_from=REQUIRED_FROM, notice=timedelta(days=90)),
            SigningAdmin(register_real, revoke_real, require_real),
        )
    finally:
        await owner.close()
        await pool.close()


def verdict(
    submission_id: str,
    *,
    unit: str = HOAN_KIEM,
    period: str = Q4,
    status: str = "accepted",
    minutes: int = 0,
    seq: int = 1,
    values: dict[str, Any] | None = None,
) -> Verdict:
    accepted = status == "accepted"
    return Verdict.model_validate(
        {
            "submission_id": submission_id,
            "report_type": KL226,
            "period": period,
            "unit": unit,
            "province": HA_NOI,
            "status": status,
            "reasons": []
            if accepted
            else [{"code": "missing_value", "message": "x", "message_en": "x"}],
            "timeliness": "on_time" if accepted else None,
            "received_at": NOW + timedelta(minutes=minutes),
            "stream_seq": seq,
            "values": (values or {"docs_issued": 80}) if accepted else None,
        }
    )


async def record(store: VerdictRecords, *verdicts: Verdict, **kwargs: Any) -> dict[str, Verdict]:
    documents = {v.submission_id: v.model_dump_json() for v in verdicts}
    return await store.record(list(verdicts), documents, NOW, **kwargs)


async def approve(store: ApprovalRecords, unit: str, by: str = HA_NOI, at: datetime = NOW) -> None:
    def decide(own: Approval | None, _: Approval | None) -> Outcome:
        if own is not None:
            return Outcome(own, None)
        return Outcome(
            Approval(KL226, Q4, unit, by, at), LogEntry(KL226, Q4, unit, Step.APPROVE, by, at)
        )

    await store.act(KL226, Q4, unit, HA_NOI, decide)


def exception(
    unit: str = HOAN_KIEM, *, minutes: int = 0, expires: datetime | None = None, reason: str = "x"
) -> LockException:
    return LockException(
        unit=unit,
        report_type=KL226,
        period=Q3,
        granted_by=HA_NOI,
        reason=reason,
        granted_at=NOW + timedelta(minutes=minutes),
        expires_at=expires,
    )


# --- VerdictRecords -----------------------------------------------------------------------------


async def test_a_submission_keeps_its_first_verdict_and_every_id_is_answered(
    stores: Stores,
) -> None:
    first = verdict("s-1")
    await record(stores.verdicts, first)

    on_record = await record(
        stores.verdicts, verdict("s-1", status="rejected"), verdict("s-2", seq=2)
    )

    assert on_record["s-1"] == first
    assert on_record["s-2"] == verdict("s-2", seq=2)


async def test_history_is_the_latest_accepted_values_for_each_key_asked(stores: Stores) -> None:
    await record(
        stores.verdicts,
        verdict("early", period=Q3, values={"docs_issued": 1}),
        verdict("late", period=Q3, minutes=5, seq=2, values={"rate": Decimal("12.5")}),
        verdict("rejected", period=Q3, minutes=9, seq=3, status="rejected"),
        verdict("other", unit=BA_DINH, period=Q3, seq=4),
    )

    history = await stores.verdicts.history({(HOAN_KIEM, KL226, Q3), (HOAN_KIEM, KL226, Q4)})

    assert history == {(HOAN_KIEM, KL226, Q3): {"rate": Decimal("12.5")}}


async def test_locks_are_the_exceptions_in_force_and_the_approvals_standing_among_the_keys(
    stores: Stores,
) -> None:
    await stores.lock_exceptions.grant(exception(HOAN_KIEM))
    await stores.lock_exceptions.grant(exception(BA_DINH, expires=NOW - timedelta(hours=1)))
    await approve(stores.approvals, HA_NOI)

    locks = await stores.verdicts.locks(
        {(HOAN_KIEM, KL226, Q3), (BA_DINH, KL226, Q3)},
        {(HOAN_KIEM, KL226, Q4), (HA_NOI, KL226, Q4)},
        NOW,
    )

    assert locks.exceptions == {(HOAN_KIEM, KL226, Q3)}
    assert locks.approvals == {(HA_NOI, KL226, Q4): Approval(KL226, Q4, HA_NOI, HA_NOI, NOW)}


async def test_an_approval_not_judged_with_stops_the_recording_of_what_it_covers(
    stores: Stores,
) -> None:
    await approve(stores.approvals, HA_NOI)

    with pytest.raises(ApprovalsChanged):
        await record(stores.verdicts, verdict("s-1"))
    judged_with = await record(stores.verdicts, verdict("s-1"), approved={(HA_NOI, KL226, Q4)})
    rejected = await record(stores.verdicts, verdict("s-2", status="rejected"))

    assert set(judged_with) == {"s-1"}
    assert set(rejected) == {"s-2"}


# --- ApprovalRecords ----------------------------------------------------------------------------


async def test_a_step_writes_the_row_and_its_log_entry_and_a_repeat_writes_nothing(
    stores: Stores,
) -> None:
    await approve(stores.approvals, HA_NOI)
    await approve(stores.approvals, HA_NOI, by="VN", at=NOW + timedelta(hours=1))

    assert await stores.approvals.standing(KL226, Q4) == [Approval(KL226, Q4, HA_NOI, HA_NOI, NOW)]
    assert await stores.approvals.log(KL226, Q4, [HA_NOI]) == [
        LogEntry(KL226, Q4, HA_NOI, Step.APPROVE, HA_NOI, NOW)
    ]


async def test_a_commune_is_decided_with_its_provinces_row_and_a_province_without(
    stores: Stores,
) -> None:
    await approve(stores.approvals, HA_NOI)
    seen: list[tuple[Approval | None, Approval | None]] = []

    def look(own: Approval | None, province: Approval | None) -> Outcome:
        seen.append((own, province))
        return Outcome(own, None)

    await stores.approvals.act(KL226, Q4, HOAN_KIEM, HA_NOI, look)
    await stores.approvals.act(KL226, Q4, HA_NOI, HA_NOI, look)

    province_row = Approval(KL226, Q4, HA_NOI, HA_NOI, NOW)
    assert seen == [(None, province_row), (province_row, None)]


async def test_undoing_removes_the_row_and_logs_why(stores: Stores) -> None:
    await approve(stores.approvals, HA_NOI)
    later = NOW + timedelta(hours=1)
    entry = LogEntry(KL226, Q4, HA_NOI, Step.UNAPPROVE, HA_NOI, later, "sửa")

    await stores.approvals.act(KL226, Q4, HA_NOI, HA_NOI, lambda own, _: Outcome(None, entry))

    assert await stores.approvals.standing(KL226, Q4) == []
    assert [e.action for e in await stores.approvals.log(KL226, Q4, [HA_NOI])] == [
        Step.APPROVE,
        Step.UNAPPROVE,
    ]
    assert (await stores.approvals.log(KL226, Q4, [HA_NOI]))[-1] == entry


async def test_a_refused_step_writes_nothing(stores: Stores) -> None:
    def refuse(own: Approval | None, province: Approval | None) -> Outcome:
        raise StepRefused("not_approved", "not approved")

    with pytest.raises(StepRefused):
        await stores.approvals.act(KL226, Q4, HA_NOI, HA_NOI, refuse)

    assert await stores.approvals.standing(KL226, Q4) == []
    assert await stores.approvals.log(KL226, Q4, [HA_NOI]) == []


async def test_standing_and_log_are_of_the_units_asked_standing_by_unit_log_oldest_first(
    stores: Stores,
) -> None:
    await approve(stores.approvals, HOAN_KIEM, at=NOW + timedelta(minutes=2))
    await approve(stores.approvals, BA_DINH, at=NOW + timedelta(minutes=1))
    await approve(stores.approvals, HA_NOI, at=NOW + timedelta(minutes=3))

    everyone = await stores.approvals.standing(KL226, Q4)
    communes = await stores.approvals.standing(KL226, Q4, [HOAN_KIEM, BA_DINH, ""])
    log = await stores.approvals.log(KL226, Q4, [HOAN_KIEM, BA_DINH])

    assert [a.unit for a in everyone] == sorted([HA_NOI, HOAN_KIEM, BA_DINH])
    assert [a.unit for a in communes] == sorted([HOAN_KIEM, BA_DINH])
    assert [e.unit for e in log] == [BA_DINH, HOAN_KIEM]
    assert await stores.approvals.standing(KL226, Q3) == []


# --- HistoryPages -------------------------------------------------------------------------------


async def test_a_page_is_newest_first_filtered_and_continues_below_its_cursor(
    stores: Stores,
) -> None:
    await record(
        stores.verdicts,
        verdict("a", period=Q3, minutes=1, seq=1),
        verdict("b", minutes=2, seq=2, status="rejected"),
        verdict("c", minutes=3, seq=3),
        verdict("d", minutes=3, seq=4),
        verdict("e", unit=BA_DINH, minutes=4, seq=5),
    )

    first = await stores.history.page(HOAN_KIEM, report_type=None, period=None, after=None, limit=2)
    last = first[-1]
    rest = await stores.history.page(
        HOAN_KIEM,
        report_type=None,
        period=None,
        after=Cursor(last.received_at, last.stream_seq, last.submission_id),
        limit=10,
    )
    q3 = await stores.history.page(HOAN_KIEM, report_type=KL226, period=Q3, after=None, limit=10)
    other = await stores.history.page(HOAN_KIEM, report_type="x", period=None, after=None, limit=9)

    assert [v.submission_id for v in first] == ["d", "c"]
    assert [v.submission_id for v in rest] == ["b", "a"]
    assert [v.submission_id for v in q3] == ["a"]
    assert other == []


async def test_accepted_are_the_units_accepted_submissions_of_the_reports_asked(
    stores: Stores,
) -> None:
    await record(
        stores.verdicts,
        verdict("a", period=Q3, seq=1, values={"docs_issued": 1}),
        verdict("b", minutes=1, seq=2, values={"rate": Decimal("0.5")}),
        verdict("c", minutes=2, seq=3, status="rejected"),
        verdict("d", unit=BA_DINH, seq=4),
    )

    found = await stores.history.accepted(HOAN_KIEM, {(KL226, Q4)})

    assert [(a.submission_id, a.stream_seq, dict(a.values)) for a in found] == [
        ("b", 2, {"rate": Decimal("0.5")})
    ]
    assert found[0].received_at == NOW + timedelta(minutes=1)
    assert await stores.history.accepted(HOAN_KIEM, set()) == []


# --- LockExceptionRecords -----------------------------------------------------------------------


async def test_a_later_grant_replaces_the_earlier_and_the_list_is_newest_first(
    stores: Stores,
) -> None:
    await stores.lock_exceptions.grant(exception(HOAN_KIEM, reason="first"))
    granted = await stores.lock_exceptions.grant(exception(HOAN_KIEM, minutes=5, reason="again"))
    await stores.lock_exceptions.grant(exception(BA_DINH, minutes=1))

    everyone = await stores.lock_exceptions.listed(None, NOW)
    hoan_kiem = await stores.lock_exceptions.listed(HOAN_KIEM, NOW)

    assert granted == exception(HOAN_KIEM, minutes=5, reason="again")
    assert [(e.unit, e.reason) for e in everyone] == [(HOAN_KIEM, "again"), (BA_DINH, "x")]
    assert hoan_kiem == [granted]


async def test_a_revoked_exception_is_gone_and_revoking_again_finds_none(stores: Stores) -> None:
    await stores.lock_exceptions.grant(exception(HOAN_KIEM, reason="first"))
    await stores.lock_exceptions.grant(exception(HOAN_KIEM, minutes=5, reason="again"))

    revoked = await stores.lock_exceptions.revoke(HOAN_KIEM, KL226, Q3, revoked_by=HA_NOI, at=NOW)
    again = await stores.lock_exceptions.revoke(HOAN_KIEM, KL226, Q3)

    assert (revoked, again) == (True, False)
    # Revoking the latest grant does not bring back the one it replaced.
    assert await stores.lock_exceptions.listed(HOAN_KIEM, NOW) == []


async def test_an_expired_exception_is_not_listed_but_can_still_be_revoked(
    stores: Stores,
) -> None:
    await stores.lock_exceptions.grant(exception(HOAN_KIEM, expires=NOW + timedelta(hours=1)))

    before = await stores.lock_exceptions.listed(None, NOW)
    after = await stores.lock_exceptions.listed(None, NOW + timedelta(hours=2))

    assert len(before) == 1
    assert after == []
    assert await stores.lock_exceptions.revoke(HOAN_KIEM, KL226, Q3) is True


# --- SigningKeys --------------------------------------------------------------------------------


def unit_key(unit: str, key_id: str, valid_from: datetime) -> tuple[UnitKey, str]:
    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return UnitKey(unit, key_id, public, valid_from), encode_value(raw)


async def test_without_keys_every_unit_follows_the_default_date(stores: Stores) -> None:
    current = await stores.signing_keys.current()

    assert current.keys_of(HOAN_KIEM) == {}
    assert current.required_from_for(HOAN_KIEM) == REQUIRED_FROM
    assert current.notice == timedelta(days=90)


async def test_a_key_a_revocation_and_a_units_date_count_from_the_next_read(
    stores: Stores,
) -> None:
    key, public = unit_key(HOAN_KIEM, "k-1", NOW - timedelta(days=1))
    await stores.signing_keys.current()

    await stores.admin.register(key, public)
    registered = (await stores.signing_keys.current()).keys_of(HOAN_KIEM)["k-1"]
    await stores.admin.revoke(HOAN_KIEM, "k-1", "lộ khoá", NOW)
    await stores.admin.require(HOAN_KIEM, NOW)
    current = await stores.signing_keys.current()

    assert (registered.key_id, registered.valid_from, registered.revoked_at) == (
        "k-1",
        key.valid_from,
        None,
    )
    assert registered.public_key.public_bytes_raw() == key.public_key.public_bytes_raw()
    revoked = current.keys_of(HOAN_KIEM)["k-1"]
    assert (revoked.revoked_at, revoked.revoked_reason) == (NOW, "lộ khoá")
    assert current.required_from_for(HOAN_KIEM) == NOW
    assert current.required_from_for(BA_DINH) == REQUIRED_FROM
