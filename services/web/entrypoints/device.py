"""The clerk's browser as a signer (static/outbox.js): its key registered as one of the unit's,
and the hub told every minute, while the page is open and online, that it hears from it.
JSON in and out, for the page's script only; CSRF-checked as every POST is. Intake decides
whether the person may: the web app only checks the key's shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from services.web.domain import devices as device_rules
from services.web.entrypoints.pages import checked_csrf, web
from services.web.entrypoints.session import Session
from services.web.usecases import devices
from services.web.usecases.ports import ServiceRefused

router = APIRouter()
CsrfChecked = Annotated[Session, Depends(checked_csrf)]
MAX_BYTES = 1024


def _problem(status: int, reason: str, detail: str = "") -> JSONResponse:
    return JSONResponse({"reason": reason, "detail": detail}, status_code=status)


async def _document(request: Request) -> Any:
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise device_rules.DeviceRefused(413, "body_too_large")
    try:
        return json.loads(data)
    except ValueError:
        raise device_rules.DeviceRefused(400, "invalid_json") from None


@router.post("/device", include_in_schema=False)
async def register(request: Request, session: CsrfChecked) -> Response:
    """Register this browser's public key for the person's unit: intake's answer, as is."""
    try:
        key = device_rules.device_key(await _document(request))
        answer = await devices.register(web(request).api, session.token, key)
    except device_rules.DeviceRefused as refused:
        return _problem(refused.status, refused.reason, refused.detail)
    except ServiceRefused as refused:
        return _problem(refused.status, refused.reason, refused.detail)
    return JSONResponse(answer)


@router.post("/device/seen", include_in_schema=False)
async def seen(request: Request, session: CsrfChecked) -> Response:
    """The page is open and online: the hub records that it heard from the device now."""
    try:
        document = await _document(request)
        key_id = device_rules.key_id_of(
            document.get("key_id") if isinstance(document, dict) else None
        )
        await devices.seen(web(request).api, session.token, key_id)
    except device_rules.DeviceRefused as refused:
        return _problem(refused.status, refused.reason, refused.detail)
    except ServiceRefused as refused:
        return _problem(refused.status, refused.reason, refused.detail)
    return Response(status_code=204)
