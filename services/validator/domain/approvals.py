"""Approval and acceptance, bottom-up as in DHIS2. Pure: every input is passed in.

A province approves its data for a (report type, period): a row for the province covers its
communes' reports and its own, a row for one commune covers that commune. Central then accepts a
province's approved data. While a row stands the validator refuses revisions (``period_locked``).

Decisions (docs/adr/0010-approvals-and-locking.md):
- approving or accepting again what already is is a no-op, not a refusal, logged once: a client
  retrying after a lost answer must not get an error, nor write the log twice;
- a commune's row cannot be added or removed while its province's approval stands (it would
  change nothing: the province's row locks it), and nothing under an accepted province moves
  until Central unaccepts;
- undoing a step needs a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shared.catalog import Level
from shared.identity.scopes import oversees
from shared.refusals import Kind, Refusal
from shared.registry import CENTRAL_CODE, Unit

# (unit, report type, period), as LockKey in deadlines.py.
ApprovalKey = tuple[str, str, str]


class Step(StrEnum):
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    ACCEPT = "accept"
    UNACCEPT = "unaccept"

    @property
    def undoes(self) -> bool:
        return self in (Step.UNAPPROVE, Step.UNACCEPT)


@dataclass(frozen=True)
class Approval:
    """One row of ``approvals``."""

    report_type: str
    period: str
    unit: str
    approved_by: str
    approved_at: datetime
    accepted_by: str | None = None
    accepted_at: datetime | None = None

    @property
    def key(self) -> ApprovalKey:
        return (self.unit, self.report_type, self.period)


@dataclass(frozen=True)
class LogEntry:
    """One row of ``approval_log``."""

    report_type: str
    period: str
    unit: str
    action: Step
    actor: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The unit's row after the step (None: no row), and what to log (None: nothing changed)."""

    after: Approval | None
    entry: LogEntry | None

    @property
    def changed(self) -> bool:
        return self.entry is not None


class StepRefused(Refusal):
    """A step that may not be taken: in the state the rows are in (CONFLICT, the default), by
    this caller (FORBIDDEN), or as asked (INVALID)."""

    kind = Kind.CONFLICT


@dataclass(frozen=True)
class Request:
    step: Step
    caller: str
    unit: Unit
    report_type: str
    period: str
    at: datetime
    reason: str | None = None


def decide(request: Request, own: Approval | None, province: Approval | None) -> Outcome:
    """What ``request`` does, given the unit's own row and (for a commune) its province's row.

    Raises StepRefused when the caller may not take the step or the state does not allow it."""
    _may_act(request)
    reason = (request.reason or "").strip()
    if request.step.undoes and not reason:
        raise StepRefused("reason_required", f"{request.step} needs a reason", kind=Kind.INVALID)
    if request.unit.level == Level.COMMUNE and province is not None:
        raise StepRefused(
            "approved_by_province",
            f"{request.unit.code} is covered by province {province.unit}'s approval"
            f" ({province.approved_by}, {province.approved_at.isoformat()});"
            " unapprove the province first",
        )
    entry = LogEntry(
        request.report_type,
        request.period,
        request.unit.code,
        request.step,
        request.caller,
        request.at,
        reason or None,
    )
    if request.step == Step.APPROVE:
        return _approve(request, own, entry)
    if own is None:
        raise StepRefused("not_approved", f"{_what(request)} is not approved")
    return _STEPS_ON_A_ROW[request.step](request, own, entry)


def _approve(request: Request, own: Approval | None, entry: LogEntry) -> Outcome:
    if own is not None:
        return Outcome(own, None)
    row = Approval(
        request.report_type, request.period, request.unit.code, request.caller, request.at
    )
    return Outcome(row, entry)


def _unapprove(request: Request, own: Approval, entry: LogEntry) -> Outcome:
    if own.accepted_by is not None:
        raise StepRefused(
            "accepted_by_central",
            f"{_what(request)} was accepted by {own.accepted_by}"
            f" ({_at(own.accepted_at)}); Central must unaccept it first",
        )
    return Outcome(None, entry)


def _accept(request: Request, own: Approval, entry: LogEntry) -> Outcome:
    if own.accepted_by is not None:
        return Outcome(own, None)
    return Outcome(replace(own, accepted_by=request.caller, accepted_at=request.at), entry)


def _unaccept(request: Request, own: Approval, entry: LogEntry) -> Outcome:
    if own.accepted_by is None:
        raise StepRefused("not_accepted", f"{_what(request)} is not accepted")
    return Outcome(replace(own, accepted_by=None, accepted_at=None), entry)


# The steps that need the unit's row to stand already.
_STEPS_ON_A_ROW: dict[Step, Callable[[Request, Approval, LogEntry], Outcome]] = {
    Step.UNAPPROVE: _unapprove,
    Step.ACCEPT: _accept,
    Step.UNACCEPT: _unaccept,
}


def _may_act(request: Request) -> None:
    """A province approves its own data and its communes'; Central may too. Only Central
    accepts, and only a province's data."""
    unit = request.unit
    if unit.level not in (Level.PROVINCE, Level.COMMUNE):
        raise StepRefused(
            "not_approvable", f"{unit.code} is not a province or a commune", kind=Kind.INVALID
        )
    if request.step in (Step.ACCEPT, Step.UNACCEPT):
        if request.caller != CENTRAL_CODE:
            raise StepRefused(
                "not_central", f"only {CENTRAL_CODE} may {request.step}", kind=Kind.FORBIDDEN
            )
        if unit.level != Level.PROVINCE:
            raise StepRefused(
                "not_a_province",
                f"Central accepts a province's data, not {unit.code}'s",
                kind=Kind.INVALID,
            )
        return
    if not oversees(request.caller, unit):
        raise StepRefused(
            "not_the_province",
            f"only {unit.province} or {CENTRAL_CODE} may {request.step} {unit.code}",
            kind=Kind.FORBIDDEN,
        )


def _what(request: Request) -> str:
    return f"{request.report_type} {request.period} of {request.unit.code}"


def _at(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "?"


def covering(unit: str, province: str | None, report_type: str, period: str) -> list[ApprovalKey]:
    """The rows that lock a unit's report: its own, then its province's."""
    keys = [(unit, report_type, period)]
    if province is not None and province != unit:
        keys.append((province, report_type, period))
    return keys


# (the unit's own row, its province's row for a commune) -> what the step does.
Decision = Callable[[Approval | None, Approval | None], Outcome]


class ApprovalsChanged(Exception):
    """An approval was committed for a report of the batch after the batch was judged: the
    batch must be judged again before its verdicts are recorded."""
