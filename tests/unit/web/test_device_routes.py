"""The clerk's browser as a signer, over ASGI with intake faked: its key registered and its
presence told through the session (CSRF on both), and a report it signed passed to intake byte
for byte, only for the page's unit when it is the session's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.web.domain.devices import MAX_SIGNED_BODY_BYTES

from .people import CSRF_HEADER_FOR_TESTS, Browser, browser_for, problem, unit_of
from .test_commune_routes import BASE, HTMX, PEOPLE, FakeServices

KEY_ID = "web-AbCdEfGhIjKlMnOpQrStUv"
PUBLIC_KEY = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"  # RFC 8032's first test key
SIGNATURE = {"key_id": KEY_ID, "alg": "Ed25519", "value": "A" * 86}


class Intake(FakeServices):
    """The commune fakes, with intake's device endpoints as the contract says."""

    def __init__(self) -> None:
        super().__init__()
        self.devices: dict[str, str] = {}  # key_id -> unit
        self.seen: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "intake" and path.startswith("/v1/devices"):
            self.requests.append(request)
            unit = unit_of(request)
            if path == "/v1/devices":
                body = json.loads(request.content)
                if self.devices.get(body["key_id"], unit) != unit:
                    return problem(409, "device_key_taken")
                known = body["key_id"] in self.devices
                self.devices[body["key_id"]] = unit
                answer = {"unit": unit, "key_id": body["key_id"], "valid_from": "2026-12-10"}
                return httpx.Response(200 if known else 201, json=answer)
            key_id = path.split("/")[3]
            if self.devices.get(key_id) != unit:
                return problem(404, "unknown_device")
            self.seen.append(key_id)
            return httpx.Response(204)
        return super().handle(request)

    def to_intake(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == "intake" and r.url.path == path]


@pytest.fixture
def intake() -> Intake:
    return Intake()


@pytest.fixture
def browser(tmp_path: Path, intake: Intake) -> Browser:
    return browser_for(tmp_path, intake.api(), PEOPLE)


def _csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.headers[CSRF_HEADER_FOR_TESTS]}


def signed_bytes(**changes: Any) -> bytes:
    """A body as the browser writes it: its own member order, Vietnamese as UTF-8."""
    body = {
        "values": {
            "docs_issued": 80,
            "conferences_total": 10,
            "conferences_in_person": 4,
            "conferences_online": 6,
            "conference_budget_planned": 50.5,
            "conference_budget_spent": 40.25,
        },
        "unit": "00070",
        "submission_id": "6f1c2a9e-0000-4000-8000-000000000001",
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "signed_at": "2026-12-10T09:20:00+07:00",
        "note": "Phường Hoàn Kiếm",
        "signature": SIGNATURE,
        **changes,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def test_the_device_key_is_registered_with_the_persons_own_token(
    browser: Browser, intake: Intake
) -> None:
    client = browser("hoankiem")
    document = {"key_id": KEY_ID, "public_key": PUBLIC_KEY}
    response = await client.post("/device", json=document, headers=_csrf(client))
    assert response.status_code == 200
    assert response.json() == {"unit": "00070", "key_id": KEY_ID, "valid_from": "2026-12-10"}
    [sent] = intake.to_intake("/v1/devices")
    assert json.loads(sent.content) == document
    assert unit_of(sent) == "00070"
    # The same again is answered alike.
    again = await client.post("/device", json=document, headers=_csrf(client))
    assert again.status_code == 200


async def test_registering_needs_the_csrf_token(browser: Browser, intake: Intake) -> None:
    client = browser("hoankiem")
    response = await client.post(
        "/device", json={"key_id": KEY_ID, "public_key": PUBLIC_KEY}, headers={"X-CSRF-Token": "x"}
    )
    assert response.status_code == 403
    assert 'data-reason="csrf_token_mismatch"' in response.text
    assert intake.to_intake("/v1/devices") == []


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"key_id": "edge-AbCdEfGhIjKlMnOpQrStUv", "public_key": PUBLIC_KEY}, "invalid_key_id"),
        ({"key_id": "web-short", "public_key": PUBLIC_KEY}, "invalid_key_id"),
        ({"key_id": KEY_ID, "public_key": PUBLIC_KEY + "="}, "invalid_public_key"),
        ({"key_id": KEY_ID, "public_key": PUBLIC_KEY[:-4]}, "invalid_public_key"),
        ({"key_id": KEY_ID}, "invalid_public_key"),
        ([KEY_ID, PUBLIC_KEY], "invalid_device_key"),
    ],
)
async def test_a_malformed_key_is_refused_before_intake_is_asked(
    browser: Browser, intake: Intake, document: Any, reason: str
) -> None:
    client = browser("hoankiem")
    response = await client.post("/device", json=document, headers=_csrf(client))
    assert response.status_code == 400
    assert response.json()["reason"] == reason
    assert intake.to_intake("/v1/devices") == []


async def test_a_key_taken_by_another_unit_is_intakes_409(browser: Browser, intake: Intake) -> None:
    intake.devices[KEY_ID] = "00004"
    client = browser("hoankiem")
    response = await client.post(
        "/device", json={"key_id": KEY_ID, "public_key": PUBLIC_KEY}, headers=_csrf(client)
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "device_key_taken"


async def test_presence_is_passed_to_intake_and_an_unknown_device_is_its_404(
    browser: Browser, intake: Intake
) -> None:
    client = browser("hoankiem")
    unknown = await client.post("/device/seen", json={"key_id": KEY_ID}, headers=_csrf(client))
    assert unknown.status_code == 404
    assert unknown.json()["reason"] == "unknown_device"
    intake.devices[KEY_ID] = "00070"
    seen = await client.post("/device/seen", json={"key_id": KEY_ID}, headers=_csrf(client))
    assert seen.status_code == 204
    assert intake.seen == [KEY_ID]
    assert intake.to_intake(f"/v1/devices/{KEY_ID}/seen")[-1].method == "POST"
    no_csrf = await client.post("/device/seen", json={"key_id": KEY_ID})
    assert no_csrf.status_code == 403
    assert intake.seen == [KEY_ID]


async def test_a_signed_report_goes_to_intake_byte_for_byte(
    browser: Browser, intake: Intake
) -> None:
    client = browser("hoankiem")
    data = signed_bytes()
    response = await client.post(
        f"{BASE}/submit-signed",
        content=data,
        headers={**HTMX, **_csrf(client), "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert 'id="commune-receipt-id"' in response.text
    assert "6f1c2a9e-0000-4000-8000-000000000001" in response.text
    assert response.headers["HX-Push-Url"].startswith(
        f"{BASE}/submissions/6f1c2a9e-0000-4000-8000-000000000001?"
    )
    [sent] = [r for r in intake.to_intake("/v1/submissions") if r.method == "POST"]
    assert sent.content == data
    assert sent.headers["content-type"] == "application/json"
    assert unit_of(sent) == "00070"
    assert "dry_run" not in sent.url.params


async def test_a_signed_report_needs_the_csrf_token(browser: Browser, intake: Intake) -> None:
    client = browser("hoankiem")
    response = await client.post(
        f"{BASE}/submit-signed",
        content=signed_bytes(),
        headers={**HTMX, "X-CSRF-Token": "wrong", "Content-Type": "application/json"},
    )
    assert response.status_code == 403
    assert intake.to_intake("/v1/submissions") == []


@pytest.mark.parametrize(
    ("person", "changes", "status", "reason"),
    [
        ("hoankiem", {"unit": "00004"}, 403, "unit_mismatch"),  # not the page's unit
        ("badinh", {}, 403, "unit_mismatch"),  # the page's unit is not the session's
        ("hanoi", {}, 403, "unit_mismatch"),  # a province keys, it does not sign here
        ("hoankiem", {"keyed_by": {"unit": "01"}}, 403, "keyed_by_not_signed_here"),
        ("hoankiem", {"period": "2026-Q3"}, 400, "form_mismatch"),
        ("hoankiem", {"signature": None}, 400, "not_signed_by_a_device"),
        (
            "hoankiem",
            {"signature": {**SIGNATURE, "key_id": "20261203-4f0c"}},
            400,
            "not_signed_by_a_device",
        ),
        ("hoankiem", {"values": [1]}, 400, "invalid_envelope"),
    ],
)
async def test_a_signed_report_not_the_clerks_own_is_refused(
    browser: Browser,
    intake: Intake,
    person: str,
    changes: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    client = browser(person)
    response = await client.post(
        f"{BASE}/submit-signed",
        content=signed_bytes(**changes),
        headers={**HTMX, **_csrf(client), "Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert f'data-reason="{reason}"' in response.text
    assert [r for r in intake.to_intake("/v1/submissions") if r.method == "POST"] == []


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[]", 400, "invalid_json"),
        (b'{"a": "' + b"x" * MAX_SIGNED_BODY_BYTES + b'"}', 413, "body_too_large"),
    ],
)
async def test_a_body_that_is_not_a_signed_report_is_refused(
    browser: Browser, intake: Intake, data: bytes, status: int, reason: str
) -> None:
    client = browser("hoankiem")
    response = await client.post(
        f"{BASE}/submit-signed",
        content=data,
        headers={**HTMX, **_csrf(client), "Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert f'data-reason="{reason}"' in response.text
    assert intake.to_intake("/v1/submissions") == []


async def test_intakes_refusal_of_a_signed_report_is_shown_on_the_form(
    browser: Browser, intake: Intake
) -> None:
    client = browser("hoankiem")
    wrong_unit = signed_bytes()
    original = intake.receive

    def refuse(unit: str, request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"reason": "submission_id_reused", "detail": "again"})

    intake.receive = refuse  # type: ignore[method-assign]
    response = await client.post(
        f"{BASE}/submit-signed",
        content=wrong_unit,
        headers={**HTMX, **_csrf(client), "Content-Type": "application/json"},
    )
    intake.receive = original  # type: ignore[method-assign]
    assert response.status_code == 200  # htmx swaps the form with the refusal in it
    assert 'id="commune-errors"' in response.text
    assert 'data-reason="submission_id_reused"' in response.text
    # The form keeps what the report carried, as the person would type it.
    assert 'value="50,5"' in response.text


async def test_the_clerks_own_form_says_the_browser_may_sign_and_types_each_field(
    browser: Browser,
) -> None:
    page = (await browser("hoankiem").get(BASE)).text
    assert f'data-device="on" data-submit-signed="{BASE}/submit-signed"' in page
    assert 'name="v.docs_issued" type="text" inputmode="numeric" data-type="integer"' in page
    assert (
        'name="v.conference_budget_planned" type="text" inputmode="decimal" data-type="decimal"'
        in page
    )
    assert 'id="outbox-device"' in page
    assert 'data-t-signed="Ký lúc {time}' in page
    keying = (await browser("hanoi").get(BASE)).text
    assert "data-device" not in keying
    assert "submit-signed" not in keying
