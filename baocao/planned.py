"""One planned submission of a load round, and the bytes a local system sends for it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.registry import Unit

if TYPE_CHECKING:
    from baocao.unit_keys import UnitKeys


@dataclass(frozen=True)
class Planned:
    unit: Unit
    report_type: str
    period: str
    values: Mapping[str, Any]
    submission_id: str
    kind: str  # report, invalid, correction, duplicate
    valid: bool
    channel: str  # nats or http

    @property
    def province(self) -> str:
        return self.unit.province or "_"

    def body(self, keys: UnitKeys | None = None) -> bytes:
        """The bytes a local system sends, signed with the unit's key in ``keys`` if it has
        one there."""
        document = {
            "submission_id": self.submission_id,
            "report_type": self.report_type,
            "period": self.period,
            "unit": self.unit.code,
            "values": dict(self.values),
        }
        return encode(keys.signed(self.unit.code, document) if keys is not None else document)


def encode(document: Mapping[str, Any]) -> bytes:
    # A Decimal goes out as its shortest float text, which for two decimal places is exact.
    return json.dumps(
        document, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)
    ).encode()
