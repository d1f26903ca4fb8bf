"""What a caller may see and do, by the unit it acts for. Pure: no I/O.

The hierarchy decides reach: Central sees everything; a province sees itself and its
communes; a commune sees itself. Roles decide the kind of act within that reach. Every HTTP
route of every service asks here, so the rule is written once.

One thing is everyone's: the report catalog (``GET /v1/catalog``), the nationally unified forms
and their rules, which every verified caller reads so that a clerk can fill them in; the
authentication in front of every route is its only check.
"""

from __future__ import annotations

from shared.identity.caller import CENTRAL, Caller, Grant, Role
from shared.refusals import Kind, Refusal
from shared.registry import Unit


class Forbidden(Refusal):
    """The caller is known but this is not theirs (HTTP 403), with a machine-readable ``reason``."""

    kind = Kind.FORBIDDEN


def oversees(caller_unit: str, unit: Unit) -> bool:
    """Whether ``caller_unit`` answers for ``unit``'s data: Central for every unit, a province for
    itself and its communes, a commune never (not even for itself). Approving a unit's data and
    reopening it need this; reading it needs only reach."""
    return caller_unit == CENTRAL or (unit.province is not None and caller_unit == unit.province)


def within_reach(caller: Caller, unit: Unit) -> bool:
    """Central reaches every unit; a province itself and its communes; a unit itself."""
    return caller.unit == unit.code or oversees(caller.unit, unit)


def reaches_nation(caller: Caller) -> bool:
    """Central, or a caller Central granted the national table, sees every province."""
    return caller.is_central or Grant.NATIONAL in caller.grants


def require_reach(caller: Caller, unit: Unit) -> None:
    if not within_reach(caller, unit):
        raise Forbidden("not_your_unit", f"{caller.unit} may not see or act for {unit.code}")


def require_role(caller: Caller, *roles: Role) -> None:
    if not caller.has(*roles):
        names = " or ".join(r.value for r in roles)
        raise Forbidden("role_required", f"this needs the role {names}")


def require_national(caller: Caller) -> None:
    """The table of every province's figures: Central, or a caller Central granted it."""
    if not reaches_nation(caller):
        raise Forbidden(
            "national_scope_required",
            "the national table is for Central; ask for your own province instead",
        )


def require_oversight(caller: Caller, unit: Unit, act: str) -> None:
    """``act`` on ``unit`` as the one who answers for it: its province, or Central."""
    if not oversees(caller.unit, unit):
        above = f"{unit.province} or {CENTRAL}" if unit.province else CENTRAL
        raise Forbidden("not_the_province", f"only {above} may {act} {unit.code}")


def require_submitter_for(caller: Caller, unit_code: str) -> None:
    """Submitting (or a dry run) for ``unit_code``: the submitter role, and that exact unit."""
    require_role(caller, Role.SUBMITTER)
    if unit_code not in caller.units:
        raise Forbidden(
            "unit_mismatch",
            f"this token submits for {', '.join(sorted(caller.units))}, not {unit_code}",
        )


def require_keyer_for(caller: Caller, keyed_by_unit: str, keyed_by_person: str, unit: Unit) -> None:
    """Keying ``unit``'s paper report on its behalf: the submitter role, a mark naming the
    caller's own unit and subject (so the audit trail says who really typed it), and oversight
    of ``unit``: its province, or Central. A commune never keys for another."""
    require_role(caller, Role.SUBMITTER)
    if keyed_by_unit != caller.unit or keyed_by_person != caller.subject:
        raise Forbidden(
            "keyed_by_not_caller",
            f"keyed_by must name this token's unit {caller.unit} and subject {caller.subject}",
        )
    require_oversight(caller, unit, "key the paper report of")
