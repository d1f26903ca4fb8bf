"""A clerk's browser as one of its unit's signers: its key registered, and the hub told, while
the page is open and online, that it hears from the device (intake's ``/v1/devices``). The
person's own token goes with each call, so intake registers a key for their unit only."""

from __future__ import annotations

from typing import Any

from services.web.domain.devices import DeviceKey
from services.web.usecases.ports import ServiceApis


async def register(api: ServiceApis, token: str, key: DeviceKey) -> dict[str, Any]:
    """Intake's ``{"unit", "key_id", "valid_from"}``; the same key again is answered alike."""
    answer: dict[str, Any] = await api.post(
        "intake", "/v1/devices", token, body={"key_id": key.key_id, "public_key": key.public_key}
    )
    return answer


async def seen(api: ServiceApis, token: str, key_id: str) -> None:
    """The hub records that it heard from the device now."""
    await api.post("intake", f"/v1/devices/{key_id}/seen", token)
