"""The hub's record of its edges' silences (migration 0012), one contract for the in-memory fake
and PostgreSQL (services/validator/adapters/quiet_spells.py), logged in as the validator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao.unit_keys import PublicKey, register
from services.validator.adapters.quiet_spells import QuietSpellStore
from services.validator.domain.link_silence import Silence
from services.validator.domain.offline_time import QuietSpell
from services.validator.usecases.ports import QuietSpellRecords
from shared.db import create_pool
from shared.signing import encode_value
from tests.fakes.validator import InMemoryQuietSpells
from tests.integration.conftest import service_url

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 31, 14, tzinfo=UTC)
EDGE, OTHER = "00004", "00070"
Seen = Callable[[datetime, datetime], Awaitable[None]]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def spells(backend: str | None) -> AsyncIterator[QuietSpellRecords]:
    if backend is None:
        yield InMemoryQuietSpells()
        return
    pool = await create_pool(service_url(backend, "validator"), min_size=1, max_size=2)
    try:
        yield QuietSpellStore(pool)
    finally:
        await pool.close()


async def test_looks_at_a_silent_edge_extend_one_spell(spells: QuietSpellRecords) -> None:
    await spells.observe([Silence(EDGE, at(0), at(1))], [])
    await spells.observe([Silence(EDGE, at(0), at(2))], [])
    await spells.observe([Silence(EDGE, at(0), at(3))], [])

    assert await spells.spells([EDGE], at(0)) == {EDGE: [QuietSpell(at(0), at(3), "edge")]}


async def test_an_edge_heard_again_ends_its_spell_and_a_new_silence_is_a_new_spell(
    spells: QuietSpellRecords,
) -> None:
    await spells.observe([Silence(EDGE, at(0), at(5))], [])
    await spells.observe([], [EDGE])
    await spells.observe([Silence(EDGE, at(10), at(12))], [])

    assert await spells.spells([EDGE], at(0)) == {
        EDGE: [QuietSpell(at(0), at(5), "edge"), QuietSpell(at(10), at(12), "edge")]
    }


async def test_a_contact_no_look_saw_still_splits_the_spell(spells: QuietSpellRecords) -> None:
    # The watch was down while the edge was heard and fell silent again: the new silence began
    # after the open spell was last seen, so the two are not one.
    await spells.observe([Silence(EDGE, at(0), at(5))], [])
    await spells.observe([Silence(EDGE, at(30), at(31))], [])

    assert await spells.spells([EDGE], at(0)) == {
        EDGE: [QuietSpell(at(0), at(5), "edge"), QuietSpell(at(30), at(31), "edge")]
    }


async def test_only_the_units_asked_for_and_spells_lasting_until_since_are_read(
    spells: QuietSpellRecords,
) -> None:
    await spells.observe([Silence(EDGE, at(0), at(5)), Silence(OTHER, at(0), at(50))], [])
    await spells.observe([], [EDGE, OTHER])

    assert await spells.spells([EDGE], at(6)) == {}
    assert await spells.spells([EDGE, OTHER], at(5)) == {
        EDGE: [QuietSpell(at(0), at(5), "edge")],
        OTHER: [QuietSpell(at(0), at(50), "edge")],
    }


async def test_hearing_from_an_edge_without_a_spell_changes_nothing(
    spells: QuietSpellRecords,
) -> None:
    await spells.observe([], [EDGE])

    assert await spells.spells([EDGE], at(-60)) == {}


async def test_the_validator_may_not_erase_the_evidence(database_url: str) -> None:
    # A database privilege: PostgreSQL only.
    pool = await create_pool(service_url(database_url, "validator"), min_size=1, max_size=1)
    try:
        await QuietSpellStore(pool).observe([Silence(EDGE, at(0), at(1))], [])
        with pytest.raises(asyncpg.PostgresError):
            await pool.execute("DELETE FROM edge_link_spells")
    finally:
        await pool.close()


# --- browsers (migration 0013: device_presence, written by intake) ----------------------------

BROWSER = ("00004", "web-AbCdEfGhIjKlMnOpQrStUv")


@pytest.fixture
async def seen(backend: str | None, spells: QuietSpellRecords) -> AsyncIterator[Seen]:
    """Records a browser's contacts as intake does: intervals of presence."""
    if backend is None:
        assert isinstance(spells, InMemoryQuietSpells)

        async def remember(first: datetime, last: datetime) -> None:
            spells.presence.setdefault(BROWSER, []).append((first, last))

        yield remember
        return
    owner = await asyncpg.connect(backend)
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    await register(owner, [PublicKey(*BROWSER, encode_value(raw))], at(-600))

    async def insert(first: datetime, last: datetime) -> None:
        await owner.execute(
            "INSERT INTO device_presence (unit, key_id, first_seen, last_seen)"
            " VALUES ($1, $2, $3, $4)",
            *BROWSER,
            first,
            last,
        )

    try:
        yield insert
    finally:
        await owner.close()


async def test_a_browsers_silences_are_the_gaps_between_its_contacts(
    spells: QuietSpellRecords, seen: Seen
) -> None:
    await seen(at(0), at(5))
    await seen(at(60), at(61))

    assert await spells.device_spells([BROWSER], at(0)) == {
        BROWSER: [QuietSpell(at(5), at(60), "web"), QuietSpell(at(61), None, "web")]
    }


async def test_only_silences_lasting_until_since_are_read(
    spells: QuietSpellRecords, seen: Seen
) -> None:
    await seen(at(0), at(5))
    await seen(at(60), at(61))

    assert await spells.device_spells([BROWSER], at(70)) == {
        BROWSER: [QuietSpell(at(61), None, "web")]
    }
    assert await spells.device_spells([("00070", BROWSER[1])], at(0)) == {}
