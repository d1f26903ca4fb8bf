"""A clerk's browser registers its own signing key for the clerk's unit, and says while it is
online that it is there; the gaps between those contacts are the hub's evidence that the device
was offline (docs/signatures.md#keys-of-browsers, migration 0013).

Both acts are for the caller's own unit only: the unit comes from the token, never from the
request, and a device of another unit is answered as no device at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.devices import DeviceKey, Registered, is_device_key_id
from services.intake.domain.refusals import DeviceKeyTaken, UnknownDevice
from services.intake.usecases.outages import outage_is_unavailable
from services.intake.usecases.ports import DeviceRecords
from shared.clock import Clock
from shared.identity import Caller, Role, require_role
from shared.logging import get_logger
from shared.refusals import Invalid

log = get_logger(__name__)


@dataclass
class DeviceService:
    clock: Clock
    devices: DeviceRecords

    async def register(self, caller: Caller, key_id: str, public_key: str) -> Registered:
        """Register a browser's key for the caller's unit from now on, and count the
        registration as a contact. The same key again is answered with the first registration;
        a key id or public key already taken is DeviceKeyTaken."""
        require_role(caller, Role.SUBMITTER)
        if not is_device_key_id(key_id):
            raise Invalid("invalid_device_key_id", f"not a device key id: {key_id[:100]!r}")
        now = self.clock.now()
        with outage_is_unavailable():
            registered = await self.devices.register(
                DeviceKey(caller.unit, key_id, public_key, now)
            )
            if registered is None:
                raise DeviceKeyTaken()
            await self.devices.seen(caller.unit, key_id, now)
        if registered.new:
            log.info("device key registered", unit=caller.unit, key_id=key_id, by=caller.subject)
        return registered

    async def seen(self, caller: Caller, key_id: str) -> None:
        """Record that the caller's unit's device ``key_id`` is there now."""
        require_role(caller, Role.SUBMITTER)
        if not is_device_key_id(key_id):
            raise UnknownDevice(key_id)
        with outage_is_unavailable():
            known = await self.devices.seen(caller.unit, key_id, self.clock.now())
        if not known:
            raise UnknownDevice(key_id)
