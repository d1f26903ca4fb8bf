"""A clerk's browser's key and its contacts, through intake's HTTP API on in-memory stores:
registered for the caller's own unit only, idempotent, a taken key refused; seen only by its
own unit; no token, a reader's token or another unit's token refused (and counted in the
security ledger)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.intake.bootstrap import Intake
from services.intake.domain.devices import DeviceKey
from services.intake.settings import IntakeSettings
from services.intake.usecases.devices import DeviceService
from shared.clock import FixedClock
from shared.identity import Role
from shared.identity.issuer import LocalIssuer
from shared.problems import MEDIA_TYPE
from tests.fakes.intake import InMemoryDeviceStore, InMemoryIntakeTables
from tests.ledger import LEDGER

HOAN_KIEM, BA_DINH = "00070", "00004"
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)
BROWSER = "web-8mZ3q_Lx-0aKf2Tb"
PUBLIC_KEY = "ZBFj7Icvzr1_ZNAR76_Sxe8d5jcRX_2eRl7qvSAaB-I"
OTHER_PUBLIC_KEY = "ZPMstSz2IAvedetXSYBClqLEZYLE50dhR2ysQrZZjVA"


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    made = LocalIssuer(tmp_path / "identity")
    made.ensure()
    return made


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store() -> InMemoryDeviceStore:
    return InMemoryDeviceStore(InMemoryIntakeTables())


@pytest.fixture
async def intake(
    issuer: LocalIssuer, clock: FixedClock, store: InMemoryDeviceStore
) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings.model_validate({"BAOCAO_IDENTITY_DIR": str(issuer.directory)})
    service = Intake(settings, clock=clock)
    service.devices = DeviceService(clock=clock, devices=store)
    transport = httpx.ASGITransport(app=service.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def bearer(issuer: LocalIssuer, unit: str, *roles: Role, person: bool = False) -> dict[str, str]:
    token = issuer.mint(unit, roles or [Role.SUBMITTER], person=person)
    return {"Authorization": f"Bearer {token}"}


def key(key_id: str = BROWSER, public_key: str = PUBLIC_KEY) -> dict[str, str]:
    return {"key_id": key_id, "public_key": public_key}


async def test_a_clerk_registers_the_browsers_key_for_their_own_unit_from_now(
    intake: httpx.AsyncClient, issuer: LocalIssuer, store: InMemoryDeviceStore
) -> None:
    answer = await intake.post(
        "/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM, person=True)
    )

    assert answer.status_code == 201
    assert answer.json() == {
        "unit": HOAN_KIEM,
        "key_id": BROWSER,
        "valid_from": "2026-12-10T02:00:00Z",
    }
    assert store.tables.signing_keys == {
        (HOAN_KIEM, BROWSER): DeviceKey(HOAN_KIEM, BROWSER, PUBLIC_KEY, NOW)
    }
    # The registration is the device's first contact.
    assert store.silences(HOAN_KIEM, BROWSER) == [(NOW, None)]


async def test_the_same_key_again_is_answered_with_the_first_registration(
    intake: httpx.AsyncClient, issuer: LocalIssuer, clock: FixedClock
) -> None:
    first = await intake.post("/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM))
    clock.instant = NOW + timedelta(hours=1)
    again = await intake.post("/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("unit", "body"),
    [
        (HOAN_KIEM, key(public_key=OTHER_PUBLIC_KEY)),  # the unit's key id, another key
        (HOAN_KIEM, key("web-AnotherBrowserKey01")),  # the public key, under another id
        (BA_DINH, key()),  # the public key, for another unit
    ],
    ids=["key-id-taken", "public-key-under-another-id", "public-key-of-another-unit"],
)
async def test_a_taken_key_id_or_public_key_is_a_conflict(
    intake: httpx.AsyncClient, issuer: LocalIssuer, unit: str, body: dict[str, str]
) -> None:
    await intake.post("/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM))

    answer = await intake.post("/v1/devices", json=body, headers=bearer(issuer, unit))

    assert (answer.status_code, answer.json()["reason"]) == (409, "device_key_taken")
    assert answer.headers["content-type"] == MEDIA_TYPE


@pytest.mark.parametrize(
    "body",
    [
        key("laptop-8mZ3q_Lx-0aKf2Tb"),  # not a browser's key id
        key("web-short"),
        key("web-" + "a" * 44),
        key(public_key=PUBLIC_KEY[:-1] + "B"),  # a last character with bits past the 256 set
        key(public_key=PUBLIC_KEY + "="),
        {**key(), "unit": BA_DINH},  # the unit is the token's, never the body's
        {"key_id": BROWSER},
    ],
)
async def test_a_malformed_registration_is_invalid(
    intake: httpx.AsyncClient, issuer: LocalIssuer, body: dict[str, str]
) -> None:
    answer = await intake.post("/v1/devices", json=body, headers=bearer(issuer, HOAN_KIEM))

    assert (answer.status_code, answer.json()["reason"]) == (400, "invalid_request")


async def test_a_contact_within_three_minutes_extends_the_presence_and_a_later_one_starts_anew(
    intake: httpx.AsyncClient, issuer: LocalIssuer, clock: FixedClock, store: InMemoryDeviceStore
) -> None:
    headers = bearer(issuer, HOAN_KIEM)
    await intake.post("/v1/devices", json=key(), headers=headers)
    answers = []
    for minutes in (1, 2, 10):
        clock.instant = NOW + timedelta(minutes=minutes)
        answers.append(await intake.post(f"/v1/devices/{BROWSER}/seen", headers=headers))

    assert [(a.status_code, a.content) for a in answers] == [(204, b"")] * 3
    assert store.silences(HOAN_KIEM, BROWSER) == [
        (NOW + timedelta(minutes=2), NOW + timedelta(minutes=10)),
        (NOW + timedelta(minutes=10), None),
    ]


async def test_a_device_of_another_unit_or_none_is_unknown_and_nothing_is_recorded(
    intake: httpx.AsyncClient, issuer: LocalIssuer, store: InMemoryDeviceStore
) -> None:
    await intake.post("/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM))
    attempts = {
        "another unit marks a commune's browser seen": (BA_DINH, BROWSER),
        "a unit marks a browser key it never had seen": (HOAN_KIEM, "web-NeverRegistered0000"),
        "a unit marks one of its keys that is not a browser's seen": (HOAN_KIEM, "20261203-4f0c"),
    }

    for what, (unit, key_id) in attempts.items():
        answer = await intake.post(f"/v1/devices/{key_id}/seen", headers=bearer(issuer, unit))
        refused = (answer.status_code, answer.json()["reason"]) == (404, "unknown_device")
        LEDGER.record(f"HTTP: {what}", refused)
        assert refused, what

    assert store.silences(HOAN_KIEM, BROWSER) == [(NOW, None)]
    assert store.silences(BA_DINH, BROWSER) == []


async def test_no_token_and_a_token_without_the_submitter_role_are_refused(
    intake: httpx.AsyncClient, issuer: LocalIssuer, store: InMemoryDeviceStore
) -> None:
    await intake.post("/v1/devices", json=key(), headers=bearer(issuer, HOAN_KIEM))
    reader = bearer(issuer, HOAN_KIEM, Role.READER)
    province = bearer(issuer, "01", Role.APPROVER, Role.READER)
    fresh = key("web-ReaderMadeThisKey0", OTHER_PUBLIC_KEY)
    attempts = [
        ("an anonymous device registration", "/v1/devices", fresh, {}, 401, "missing_token"),
        (
            "an anonymous device contact",
            f"/v1/devices/{BROWSER}/seen",
            None,
            {},
            401,
            "missing_token",
        ),
        ("a reader registers a device", "/v1/devices", fresh, reader, 403, "role_required"),
        (
            "a reader marks a device seen",
            f"/v1/devices/{BROWSER}/seen",
            None,
            reader,
            403,
            "role_required",
        ),
        (
            "a province's approver registers a device",
            "/v1/devices",
            fresh,
            province,
            403,
            "role_required",
        ),
    ]

    for what, path, body, headers, status, reason in attempts:
        answer = await intake.post(path, json=body, headers=headers)
        refused = (answer.status_code, answer.json()["reason"]) == (status, reason)
        LEDGER.record(f"HTTP: {what}", refused)
        assert refused, f"{what}: {answer.status_code} {answer.text}"

    assert list(store.tables.signing_keys) == [(HOAN_KIEM, BROWSER)]
    assert store.silences(HOAN_KIEM, BROWSER) == [(NOW, None)]


async def test_the_openapi_document_describes_both_routes_and_their_problems(
    intake: httpx.AsyncClient,
) -> None:
    document = (await intake.get("/openapi.json")).json()
    register = document["paths"]["/v1/devices"]["post"]
    seen = document["paths"]["/v1/devices/{key_id}/seen"]["post"]

    assert {"200", "201", "401", "403", "409"} <= set(register["responses"])
    assert {"204", "401", "403", "404"} <= set(seen["responses"])
    request = document["components"]["schemas"]["DeviceKeyRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["key_id"]["pattern"] == "^web-[A-Za-z0-9_-]{16,43}$"
