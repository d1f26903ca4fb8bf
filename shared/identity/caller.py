"""Who is asking: the unit a caller acts for and the roles it holds. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

CENTRAL = "VN"
UNIT_CODE = re.compile(r"VN|[0-9]{2}|[0-9]{5}")


class Role(StrEnum):
    SUBMITTER = "submitter"  # a unit's local system or clerk: submits its own reports
    APPROVER = "approver"  # a province's or Central's official: approves, reopens
    READER = "reader"  # the Central Office, a province's dashboard: reads within scope
    OPS = "ops"  # operations staff: contacts and technical actions within scope


class Grant(StrEnum):
    """Extra reach Central gives a caller beyond its own subtree."""

    NATIONAL = "national"  # read the national table of every province's figures


@dataclass(frozen=True)
class Caller:
    """A verified token, reduced to what Baocao decides on.

    ``units`` is whom the caller may submit for: its own unit, or for a platform that serves
    several communes, exactly those units (never a wildcard).
    """

    subject: str
    unit: str
    roles: frozenset[Role]
    units: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[Grant] = field(default_factory=frozenset)
    issuer: str = ""
    token_id: str = ""

    def __post_init__(self) -> None:
        if not self.units:
            object.__setattr__(self, "units", frozenset({self.unit}))

    def has(self, *roles: Role) -> bool:
        """True when the caller holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_central(self) -> bool:
        return self.unit == CENTRAL
