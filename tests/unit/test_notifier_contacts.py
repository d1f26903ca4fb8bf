"""Who may see and change a unit's contacts and notice history, and how a refusal is said: as a
kind with a reason, never an HTTP code (``shared.problems`` alone maps kinds to statuses)."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.notifier.domain.webhook_targets import WebhookPolicy
from services.notifier.usecases.contacts import Contacts
from shared.clock import FixedClock
from shared.identity import Caller, Role
from shared.periods import VIETNAM
from shared.refusals import Kind, Refusal
from tests.fakes.notifier import InMemoryContactStore, memory_stores, small_world

_, REGISTRY = small_world()
HOAN_KIEM, BA_DINH, HANOI = "00070", "00073", "01"
NOW = datetime(2026, 12, 10, 9, tzinfo=VIETNAM)
EMAILS = ["vanthu@hoankiem.gov.vn"]


def caller(unit: str, *roles: Role) -> Caller:
    return Caller(subject=f"{unit}-system", unit=unit, roles=frozenset(roles or [Role.SUBMITTER]))


def use_case() -> tuple[Contacts, InMemoryContactStore]:
    outbox, contacts, _ = memory_stores()
    book = Contacts(
        contacts=contacts,
        history=outbox,
        registry=REGISTRY,
        clock=FixedClock(NOW),
        webhook_policy=WebhookPolicy(),
    )
    return book, contacts


def refused(error: pytest.ExceptionInfo[Refusal]) -> tuple[Kind, str]:
    return error.value.kind, error.value.reason


async def test_a_unit_sets_its_own_contacts_and_its_province_reads_them() -> None:
    book, store = use_case()

    created = await book.create(caller(HOAN_KIEM), HOAN_KIEM, EMAILS, None, None)
    read = await book.read(caller(HANOI, Role.READER), HOAN_KIEM)

    assert created == read == await store.get(HOAN_KIEM)
    assert created.updated_by == HOAN_KIEM
    assert created.updated_at == NOW


async def test_another_unit_may_neither_read_nor_change_them() -> None:
    book, _ = use_case()

    with pytest.raises(Refusal) as reading:
        await book.read(caller(BA_DINH), HOAN_KIEM)
    with pytest.raises(Refusal) as history:
        await book.history(caller(BA_DINH), HOAN_KIEM, 10)

    assert refused(reading) == (Kind.FORBIDDEN, "not_your_unit")
    assert refused(history) == (Kind.FORBIDDEN, "not_your_unit")


async def test_a_reader_may_look_but_not_redirect_a_units_notices() -> None:
    book, store = use_case()

    with pytest.raises(Refusal) as error:
        await book.replace(caller(HANOI, Role.READER), HOAN_KIEM, EMAILS, None, None)

    assert refused(error) == (Kind.FORBIDDEN, "role_required")
    assert await store.get(HOAN_KIEM) is None


async def test_an_unknown_unit_is_not_found() -> None:
    book, _ = use_case()

    with pytest.raises(Refusal) as error:
        await book.read(caller("VN", Role.OPS), "99999")

    assert refused(error) == (Kind.NOT_FOUND, "unknown_unit")


async def test_creating_contacts_a_unit_has_already_is_a_conflict_and_replacing_is_not() -> None:
    book, store = use_case()
    await book.create(caller(HOAN_KIEM), HOAN_KIEM, EMAILS, None, None)

    with pytest.raises(Refusal) as error:
        await book.create(caller(HOAN_KIEM), HOAN_KIEM, ["other@hoankiem.gov.vn"], None, None)
    replaced = await book.replace(caller(HOAN_KIEM), HOAN_KIEM, ["b@hoankiem.gov.vn"], None, None)

    assert refused(error) == (Kind.CONFLICT, "contacts_exist")
    assert await store.get(HOAN_KIEM) == replaced
    assert replaced.emails == ("b@hoankiem.gov.vn",)


async def test_removing_contacts_a_unit_does_not_have_is_not_found() -> None:
    book, _ = use_case()
    await book.create(caller(HOAN_KIEM), HOAN_KIEM, EMAILS, None, None)

    await book.remove(caller(HOAN_KIEM), HOAN_KIEM)
    with pytest.raises(Refusal) as error:
        await book.remove(caller(HOAN_KIEM), HOAN_KIEM)

    assert refused(error) == (Kind.NOT_FOUND, "no_contacts")


async def test_a_webhook_the_notifier_may_not_call_is_invalid_and_not_stored() -> None:
    book, store = use_case()

    with pytest.raises(Refusal) as error:
        await book.replace(
            caller(HOAN_KIEM), HOAN_KIEM, [], "http://127.0.0.1:5432/", "secret-0123456789abc"
        )

    assert refused(error) == (Kind.INVALID, "webhook_host_loopback")
    assert await store.get(HOAN_KIEM) is None
