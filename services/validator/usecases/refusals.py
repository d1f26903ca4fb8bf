"""The validator's refusals outside approval steps: a kind and a reason code, no HTTP status.

(The approval steps' own refusals are domain rules: domain/approvals.py, StepRefused.)
"""

from __future__ import annotations

from shared.refusals import Kind, Refusal


class NotFound(Refusal):
    """The report type, period or unit a path names does not exist."""

    kind = Kind.NOT_FOUND


class Invalid(Refusal):
    """The request names something that does not exist, or sends what cannot be read."""

    kind = Kind.INVALID


class NotTheProvince(Refusal):
    """Only the unit's province, or Central, may do this."""

    kind = Kind.FORBIDDEN
