"""Intake answers bad requests with a 4xx and a machine-readable reason."""

from __future__ import annotations

import pytest

from tests.integration.conftest import SystemFactory
from tests.integration.system import bearer, submission

pytestmark = pytest.mark.integration


async def test_a_missing_token_is_401(start_system: SystemFactory) -> None:
    system = await start_system()

    response = await system.intake_http.post("/v1/submissions", json=submission("00070"))

    assert response.status_code == 401
    assert response.json()["reason"] == "missing_token"


async def test_a_forged_token_is_401(start_system: SystemFactory) -> None:
    system = await start_system()

    response = await system.intake_http.post(
        "/v1/submissions",
        json=submission("00070"),
        headers={"Authorization": "Bearer 00070.forged"},
    )

    assert response.status_code == 401
    assert response.json()["reason"] == "malformed_token"


async def test_a_token_of_another_unit_is_403(start_system: SystemFactory) -> None:
    system = await start_system()

    response = await system.submit(submission("00070"), unit="00073")

    assert response.status_code == 403
    assert response.json()["reason"] == "unit_mismatch"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b'{"submission_id": "abcdefgh-1", "values": {}}', "invalid_envelope"),
        (b'{"a": NaN}', "malformed_json"),
    ],
)
async def test_a_broken_body_is_400_with_a_reason(
    start_system: SystemFactory, body: bytes, reason: str
) -> None:
    system = await start_system()

    response = await system.intake_http.post(
        "/v1/submissions",
        content=body,
        headers={**bearer("00070"), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["reason"] == reason


async def test_an_oversized_body_is_413(start_system: SystemFactory) -> None:
    system = await start_system()
    body = submission("00070")
    body["values"]["padding"] = "x" * 100_000

    response = await system.submit(body)

    assert response.status_code == 413
    assert response.json()["reason"] == "body_too_large"


async def test_a_submission_id_reused_by_another_unit_is_409(start_system: SystemFactory) -> None:
    system = await start_system()
    first = submission("00070")
    taken = submission("00073", submission_id=first["submission_id"])

    assert (await system.submit(first)).status_code == 202
    response = await system.submit(taken)

    assert response.status_code == 409
    assert response.json()["reason"] == "submission_id_taken"


async def test_an_unknown_submission_is_404(start_system: SystemFactory) -> None:
    system = await start_system()

    response = await system.intake_http.get("/v1/submissions/never-sent-1", headers=bearer("VN"))

    assert response.status_code == 404
    assert response.json()["reason"] == "unknown_submission"
