"""The local systems reports come from, each on NATS with credentials of its own.

As deployed: a province's platform submits for the communes that have no system, and a few
communes run their own. The simulated round, the load generator, `make bench` and `make chaos`
publish through these, so what they measure and prove is with authentication on.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from baocao.nats_identities import NatsIdentities, connect_options
from shared.nats_permissions import Unit

# About one commune in a hundred runs its own system (its own credentials and connection).
OWN_SYSTEM_ONE_IN = 100


def has_own_system(unit: str) -> bool:
    return len(unit) == 5 and zlib.crc32(unit.encode()) % OWN_SYSTEM_ONE_IN == 0


class LocalSystems:
    def __init__(self, nats_url: str, identities: NatsIdentities) -> None:
        self.nats_url = nats_url
        self.identities = identities
        self._open: dict[str, tuple[Client, JetStreamContext]] = {}
        self._opening = asyncio.Lock()

    @staticmethod
    def name_of(province: str, unit: str) -> str:
        return f"commune-{unit}" if has_own_system(unit) else f"platform-{province}"

    async def jetstream(self, province: str, unit: str) -> JetStreamContext:
        """The JetStream context of the system that submits for ``unit``."""
        name = self.name_of(province, unit)
        found = self._open.get(name)
        if found is None:
            async with self._opening:
                found = self._open.get(name)
                if found is None:
                    found = self._open[name] = await self._connect(province, unit, name)
        return found[1]

    async def _connect(
        self, province: str, unit: str, name: str
    ) -> tuple[Client, JetStreamContext]:
        creds = (
            self.identities.units(name, [Unit(province, unit)])
            if has_own_system(unit)
            else self.identities.province_platform(province)
        )
        options: dict[str, Any] = connect_options(creds)
        connection = await nats.connect(
            self.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.25, **options
        )
        return connection, connection.jetstream(timeout=10)

    @property
    def opened(self) -> tuple[int, int]:
        """Systems that have connected: (province platforms, communes' own)."""
        own = sum(1 for name in self._open if name.startswith("commune-"))
        return len(self._open) - own, own

    async def close(self) -> None:
        for connection, _ in list(self._open.values()):
            await connection.close()
        self._open.clear()
