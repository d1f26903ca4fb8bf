"""Least privilege in PostgreSQL (migration 0009, docs/database-roles.md): each service's role
may do exactly what the table of grants says, reads other services' data only through views,
and nobody rewrites an audit table, not even with a grant given by mistake.

That the grants are enough is shown by the rest of the integration suite, whose services log
in as these roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.validator.adapters.lock_exceptions import LockExceptionStore
from shared.roles import SERVICE_ROLES
from shared.schemas import LockException
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

READ = frozenset({"SELECT"})
APPEND = READ | {"INSERT"}
CHANGE = APPEND | {"UPDATE"}
ALL = CHANGE | {"DELETE"}
SHARED = {"units": READ, "schema_migrations": READ}

# Every privilege each role holds on a table or view, and on a sequence: nothing else.
GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "baocao_intake": {
        **SHARED,
        "receipts": APPEND,
        "verdicts": READ,
        "current_reports": READ,
        # A browser's key, registered on its clerk's behalf, and when the hub heard from it.
        "unit_signing_keys": APPEND,
        "signing_registry_version": READ | {"UPDATE"},
        "device_presence": CHANGE,
    },
    "baocao_validator": {
        **SHARED,
        "submissions": APPEND,
        "approvals": ALL,
        "approval_log": APPEND,
        "lock_exception_grants": APPEND,
        "lock_exception_revocations": APPEND,
        "lock_exceptions": READ,
        "unit_signing_keys": READ,
        "unit_signature_policy": READ,
        "signing_registry_version": READ,
        "edge_link_spells": CHANGE,
        "device_silences": READ,
    },
    "baocao_aggregator": {
        **SHARED,
        "latest_reports": ALL,
        "province_rollups": ALL,
        "verdicts": READ,
        "approval_states": READ,
    },
    "baocao_notifier": {
        **SHARED,
        "notifications": CHANGE,
        "notification_deliveries": CHANGE,
        "notification_attempt_starts": APPEND,
        "notification_attempt_outcomes": APPEND,
        "notification_attempts": READ,
        "contacts": ALL,
        "accepted_submissions": READ,
        "silent_edges": READ,
    },
}
SEQUENCES: dict[str, set[str]] = {
    "baocao_intake": set(),
    "baocao_validator": {"approval_log_id_seq", "lock_exception_grants_id_seq"},
    "baocao_aggregator": {"province_rollup_versions"},
    "baocao_notifier": {"notification_attempt_starts_id_seq"},
}
# The audit tables and the role that appends to each.
AUDIT_TABLES = {
    "receipts": "intake",
    "submissions": "validator",
    "approval_log": "validator",
    "lock_exception_grants": "validator",
    "lock_exception_revocations": "validator",
    "notification_attempt_starts": "notifier",
    "notification_attempt_outcomes": "notifier",
}
# CASCADE: a table another references cannot be truncated alone.
REWRITES = ("UPDATE {} SET {} = {}", "DELETE FROM {}", "TRUNCATE {} CASCADE")

_PRIVILEGES = """
SELECT c.relname, array_agg(p.privilege ORDER BY p.privilege) AS privileges
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                        'TRIGGER']) AS p(privilege)
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p', 'm', 'f')
  AND has_table_privilege($1, c.oid, p.privilege)
GROUP BY c.relname
"""
_SEQUENCES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'S'
  AND (has_sequence_privilege($1, c.oid, 'USAGE') OR has_sequence_privilege($1, c.oid, 'UPDATE'))
"""


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def rewrite_attempts(connection: asyncpg.Connection[Any], table: str) -> list[str]:
    """The error message of each statement that would rewrite ``table`` ("... ran" if one
    ran)."""
    column = await connection.fetchval(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum = 1", table
    )
    messages = []
    for statement in REWRITES:
        try:
            await connection.execute(statement.format(table, column, column))
        except asyncpg.InsufficientPrivilegeError as error:
            messages.append(error.message)
        else:
            messages.append(f"{statement.split()[0]} ran")
    return messages


@pytest.mark.parametrize("role", sorted(GRANTS))
async def test_a_service_role_holds_exactly_the_grants_in_the_table(
    owner: asyncpg.Connection[Any],
    role: str,
) -> None:
    held = {r["relname"]: frozenset(r["privileges"]) for r in await owner.fetch(_PRIVILEGES, role)}
    sequences = {r["relname"] for r in await owner.fetch(_SEQUENCES, role)}
    attributes = await owner.fetchrow(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication,"
        " rolbypassrls FROM pg_roles WHERE rolname = $1",
        role,
    )
    owns = await owner.fetchval(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
        " WHERE rolname = $1)",
        role,
    )

    assert held == GRANTS[role]
    assert sequences == SEQUENCES[role]
    assert attributes is not None
    assert dict(attributes) == {
        "rolcanlogin": True,
        "rolsuper": False,
        "rolcreaterole": False,
        "rolcreatedb": False,
        "rolreplication": False,
        "rolbypassrls": False,
    }
    assert owns == 0
    assert not await owner.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", role)


async def test_a_service_reads_another_services_tables_only_through_their_views(
    owner: asyncpg.Connection[Any],
) -> None:
    tables = {
        "receipts": "intake",
        "submissions": "validator",
        "approvals": "validator",
        "lock_exception_grants": "validator",
        "latest_reports": "aggregator",
        "province_rollups": "aggregator",
        "notifications": "notifier",
        "contacts": "notifier",
    }
    readers = {
        (table, service)
        for table, writer in tables.items()
        for service, role in SERVICE_ROLES.items()
        if service != writer
        and await owner.fetchval("SELECT has_table_privilege($1, $2, 'SELECT')", role, table)
    }
    assert readers == set()


@pytest.mark.parametrize("table", sorted(AUDIT_TABLES))
async def test_no_service_role_may_update_delete_or_truncate_an_audit_table(
    database_url: str, table: str
) -> None:
    for service in SERVICE_ROLES:
        connection = await asyncpg.connect(service_url(database_url, service))
        try:
            messages = await rewrite_attempts(connection, table)
        finally:
            await connection.close()
        assert messages == [f"permission denied for table {table}"] * len(REWRITES), service


@pytest.mark.parametrize("table", sorted(AUDIT_TABLES))
async def test_an_audit_table_refuses_rewriting_even_with_a_grant_given_by_mistake(
    database_url: str,
    owner: asyncpg.Connection[Any],
    table: str,
) -> None:
    role = SERVICE_ROLES[AUDIT_TABLES[table]]
    every_audit_table = ", ".join(AUDIT_TABLES)
    await owner.execute(f"GRANT UPDATE, DELETE, TRUNCATE ON {every_audit_table} TO {role}")
    mistaken = await asyncpg.connect(service_url(database_url, AUDIT_TABLES[table]))
    try:
        by_the_service = await rewrite_attempts(mistaken, table)
    finally:
        await mistaken.close()
    by_the_owner = await rewrite_attempts(owner, table)

    for update, delete, truncate in (by_the_service, by_the_owner):
        assert update == f"{table} is append-only: UPDATE refused"
        assert delete == f"{table} is append-only: DELETE refused"
        # By this table's trigger, or by that of a table the truncation cascades to.
        assert truncate.endswith(" is append-only: TRUNCATE refused")


async def test_revoking_a_lock_exception_keeps_the_grant_and_records_the_revocation(
    database_url: str,
    owner: asyncpg.Connection[Any],
) -> None:
    pool = await asyncpg.create_pool(service_url(database_url, "validator"), min_size=1)
    assert pool is not None
    store = LockExceptionStore(pool)
    now = datetime(2026, 12, 10, 2, tzinfo=UTC)

    def reopened(reason: str) -> LockException:
        return LockException(
            unit="00070",
            report_type="kl226-quarterly",
            period="2026-Q3",
            granted_by="01",
            reason=reason,
            granted_at=now,
        )

    try:
        await store.grant(reopened("bổ sung số liệu"))
        revoked = await store.revoke("00070", "kl226-quarterly", "2026-Q3", revoked_by="01")
        after_revoking = await store.listed("00070", now)
        again = await store.revoke("00070", "kl226-quarterly", "2026-Q3")
        await store.grant(reopened("lần hai"))
        in_force = await store.listed("00070", now)
    finally:
        await pool.close()
    grants = await owner.fetch("SELECT reason FROM lock_exception_grants ORDER BY id")
    revocations = await owner.fetch("SELECT revoked_by FROM lock_exception_revocations")

    assert revoked is True
    assert after_revoking == []
    assert again is False  # nothing left in force to revoke
    assert [e.reason for e in in_force] == ["lần hai"]
    assert [r["reason"] for r in grants] == ["bổ sung số liệu", "lần hai"]
    assert [r["revoked_by"] for r in revocations] == ["01"]


async def test_a_new_grant_replaces_the_one_in_force_and_both_stay_on_record(
    database_url: str,
    owner: asyncpg.Connection[Any],
) -> None:
    pool = await asyncpg.create_pool(service_url(database_url, "validator"), min_size=1)
    assert pool is not None
    store = LockExceptionStore(pool)
    now = datetime(2026, 12, 10, 2, tzinfo=UTC)
    try:
        for reason, expires in (("first", None), ("second", datetime(2027, 1, 1, tzinfo=UTC))):
            await store.grant(
                LockException(
                    unit="00070",
                    report_type="kl226-quarterly",
                    period="2026-Q3",
                    granted_by="01",
                    reason=reason,
                    granted_at=now,
                    expires_at=expires,
                )
            )
        in_force = await store.listed(None, now)
        after_expiry = await store.listed(None, datetime(2027, 1, 2, tzinfo=UTC))
    finally:
        await pool.close()

    assert [(e.reason, e.expires_at) for e in in_force] == [
        ("second", datetime(2027, 1, 1, tzinfo=UTC))
    ]
    assert after_expiry == []  # the first does not come back when the second expires
    assert await owner.fetchval("SELECT count(*) FROM lock_exception_grants") == 2
