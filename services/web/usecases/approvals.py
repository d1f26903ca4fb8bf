"""A province's approval and Central's acceptance, read and changed on the validator with the
person's token: the validator decides who may take which step, and its refusal comes back to
be shown beside the buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from services.web.usecases.ports import ServiceApis, ServiceRefused

# step -> (method, path suffix after the unit)
STEPS: dict[str, tuple[str, str]] = {
    "approve": ("POST", ""),
    "unapprove": ("DELETE", ""),
    "accept": ("POST", "/acceptance"),
    "unaccept": ("DELETE", "/acceptance"),
}


def approval_path(report_type: str, period: str, unit: str) -> str:
    segments = (quote(s, safe="") for s in (report_type, period, unit))
    return "/v1/approvals/{}/{}/{}".format(*segments)


async def approval_of(
    api: ServiceApis, token: str, report_type: str, period: str, unit: str
) -> dict[str, Any]:
    """The unit's approval, what locks it and the log of every step (a province's includes
    its communes' own steps)."""
    found: dict[str, Any] = await api.get(
        "validator", approval_path(report_type, period, unit), token
    )
    return found


@dataclass(frozen=True)
class StepOutcome:
    step: str
    changed: bool = False
    refused: ServiceRefused | None = None


async def take_step(
    api: ServiceApis,
    token: str,
    step: str,
    report_type: str,
    period: str,
    unit: str,
    reason: str | None = None,
) -> StepOutcome:
    """Approve, unapprove, accept or unaccept; a refusal (403, 409, 400 reason_required) is
    returned to be shown, not raised. Undoing sends the reason as the validator asks."""
    method, suffix = STEPS[step]
    path = approval_path(report_type, period, unit) + suffix
    try:
        if method == "POST":
            answer = await api.post("validator", path, token)
        else:
            body = {"reason": reason} if reason else None
            answer = await api.delete("validator", path, token, body=body)
    except ServiceRefused as refused:
        if refused.status == 401:
            raise
        return StepOutcome(step, refused=refused)
    return StepOutcome(step, changed=bool((answer or {}).get("changed", True)))
