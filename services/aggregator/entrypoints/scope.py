"""Who may read which rollup: the one scope rule every read route of the aggregator applies."""

from __future__ import annotations

from fastapi import Request

from shared.identity import caller_of, require_national, require_reach
from shared.registry import CENTRAL_CODE, Registry


def authorise_read(request: Request, registry: Registry, unit: str | None) -> None:
    """``unit`` None or VN is the national table (every province); otherwise that unit's own
    subtree. An unknown unit passes here and gets the view's 404."""
    caller = caller_of(request)
    if unit is None or unit == CENTRAL_CODE:
        require_national(caller)
        return
    found = registry.get(unit)
    if found is not None:
        require_reach(caller, found)
