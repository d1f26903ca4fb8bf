"""Reopening a locked report: the use case behind /v1/lock-exceptions.

A province's approver (or Central's) reopens one of its units' reports for a period whose lock
date has passed; the validator then accepts that unit's revisions until the exception expires
or is revoked.
"""

from __future__ import annotations

from services.validator.usecases.ports import LockExceptionRecords
from shared.catalog import Catalog
from shared.clock import Clock
from shared.identity import (
    Caller,
    Role,
    require_oversight,
    require_reach,
    require_role,
    within_reach,
)
from shared.logging import get_logger
from shared.periods import InvalidPeriod
from shared.refusals import Invalid, NotFound
from shared.registry import Registry
from shared.schemas import LockException, LockExceptionRequest

log = get_logger(__name__)


class LockExceptions:
    def __init__(
        self, store: LockExceptionRecords, registry: Registry, catalog: Catalog, clock: Clock
    ) -> None:
        self.store = store
        self.registry = registry
        self.catalog = catalog
        self.clock = clock

    async def grant(self, caller: Caller, wanted: LockExceptionRequest) -> LockException:
        """Reopen the report ``wanted`` names; a later grant replaces an earlier one."""
        self._may_reopen(caller, wanted.unit)
        report_type = self.catalog.get(wanted.report_type)
        if report_type is None:
            raise Invalid("unknown_report_type", f"no report type {wanted.report_type!r}")
        try:
            report_type.period_of(wanted.period)
        except (InvalidPeriod, ValueError) as error:
            raise Invalid("invalid_period", str(error)) from error
        granted = await self.store.grant(
            LockException(
                unit=wanted.unit,
                report_type=wanted.report_type,
                period=wanted.period,
                granted_by=caller.unit,
                reason=wanted.reason,
                granted_at=self.clock.now(),
                expires_at=wanted.expires_at,
            )
        )
        log.info(
            "lock exception granted",
            unit=wanted.unit,
            report_type=wanted.report_type,
            period=wanted.period,
            granted_by=caller.unit,
            subject=caller.subject,
            reason=wanted.reason,
        )
        return granted

    async def listed(self, caller: Caller, unit: str | None = None) -> list[LockException]:
        """The exceptions in force within the caller's reach, of ``unit`` or of all."""
        if unit is not None:
            found = self.registry.get(unit)
            if found is None:
                raise NotFound("unknown_unit", f"no unit has code {unit[:16]!r}")
            require_reach(caller, found)
        return [
            granted
            for granted in await self.store.listed(unit, self.clock.now())
            if (found := self.registry.get(granted.unit)) is not None
            and within_reach(caller, found)
        ]

    async def revoke(self, caller: Caller, unit: str, report_type: str, period: str) -> None:
        """Close the report again; NotFound when no exception is in force for it."""
        self._may_reopen(caller, unit)
        revoked = await self.store.revoke(
            unit, report_type, period, revoked_by=caller.unit, at=self.clock.now()
        )
        if not revoked:
            raise NotFound("unknown_lock_exception", "no such lock exception")
        log.info(
            "lock exception revoked",
            unit=unit,
            report_type=report_type,
            period=period,
            revoked_by=caller.unit,
            subject=caller.subject,
        )

    def _may_reopen(self, caller: Caller, unit_code: str) -> None:
        """A province's or Central's approver reopens: its own units' reports, or anyone's."""
        require_role(caller, Role.APPROVER)
        unit = self.registry.get(unit_code)
        if unit is None:
            raise Invalid("unknown_unit", f"no unit has code {unit_code}")
        require_oversight(caller, unit, "reopen")
