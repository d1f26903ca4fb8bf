"""Intake's HTTP API for clerks' browsers: POST /v1/devices registers the browser's own signing
key for the caller's unit; POST /v1/devices/{key_id}/seen says, every minute while the page is
open and online, that it is there (docs/signatures.md#keys-of-browsers).

Thin: each route takes the caller from shared.identity, calls usecases/devices.py and shapes
the answer; refusals are rendered by shared/problems.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.devices import KEY_ID_PATTERN, PUBLIC_KEY_PATTERN
from services.intake.usecases.devices import DeviceService
from shared.identity import caller_of
from shared.schemas import Problem


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem} for status in (400, 401, 403, *statuses, 503)}


class DeviceKeyRequest(BaseModel):
    """A browser's Ed25519 public key (WebCrypto, the private key not extractable) and the id
    it will sign under."""

    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(
        pattern=KEY_ID_PATTERN,
        examples=["web-3q2-7wAbc91xYz0kLm4p"],
        description="`web-` and 16 to 43 base64url characters, chosen by the browser.",
    )
    public_key: str = Field(
        pattern=PUBLIC_KEY_PATTERN,
        description="The raw 32-byte Ed25519 public key, base64url without padding.",
    )


class DeviceRegistration(BaseModel):
    unit: str = Field(description="The caller's unit, which the key now signs for.")
    key_id: str
    valid_from: datetime = Field(
        description="When the key was first registered: a report it signed earlier does not verify."
    )


def routes(devices_of: Callable[[], DeviceService]) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/devices",
        status_code=201,
        response_model=DeviceRegistration,
        response_description="The key is registered from now on",
        responses={
            **_problems(409),
            200: {
                "model": DeviceRegistration,
                "description": "The same key was registered already: the first registration",
            },
        },
        summary="Register a clerk's browser's signing key for the caller's own unit (the"
        " submitter role); 409 device_key_taken if the key id or public key is taken",
    )
    async def register(body: DeviceKeyRequest, request: Request) -> JSONResponse:
        registered = await devices_of().register(caller_of(request), body.key_id, body.public_key)
        answer = DeviceRegistration(
            unit=registered.key.unit,
            key_id=registered.key.key_id,
            valid_from=registered.key.valid_from,
        )
        return JSONResponse(answer.model_dump(mode="json"), 201 if registered.new else 200)

    @router.post(
        "/v1/devices/{key_id}/seen",
        status_code=204,
        response_description="The contact is recorded",
        responses=_problems(404),
        summary="The browser with this key is there now (every 60 s while its page is open and"
        " online); 404 unknown_device unless the key is the caller's unit's",
    )
    async def seen(key_id: str, request: Request) -> Response:
        await devices_of().seen(caller_of(request), key_id)
        return Response(status_code=204)

    return router
