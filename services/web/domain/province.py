"""What a province's page makes of the services' answers: each unit's reporting status, the
counts per status (DHIS2's reporting rate), the reminders each late unit has had, the targets
with the units missing them, and which approval steps the person may offer. Pure: no I/O, the
answers come in as the parsed JSON bodies."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# The order a reporting-rate table reads in: done, done late, done again, refused, not done.
STATUSES: tuple[str, ...] = ("on_time", "late", "corrected", "rejected", "missing")
CENTRAL = "VN"
APPROVER = "approver"


@dataclass(frozen=True)
class Standing:
    """Where a unit stands on the report by the validator's verdicts (``GET
    /v1/report-status``, or a rejection notice): on time, late or rejected, corrected or not,
    when its latest submission arrived and, if that one was refused, every reason
    (Vietnamese, English)."""

    unit: str
    status: str
    corrected: bool = False
    received_at: str | None = None
    reasons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class UnitStatus:
    unit: str
    name: str
    level: str
    status: str
    received_at: str | None = None
    deadline: str | None = None
    reasons: tuple[tuple[str, str], ...] = ()


def status_of(completeness: Mapping[str, Any] | None) -> str:
    """A unit's own completeness (expected 1) as one status."""
    figures = completeness or {}
    if figures.get("on_time"):
        return "on_time"
    if figures.get("late"):
        return "late"
    return "missing"


def _refined(row: UnitStatus, standing: Standing | None) -> UnitStatus:
    """The rollup's status, told more by the verdicts: a missing unit whose reports were all
    refused is ``rejected`` (with why); one that sent an accepted correction is
    ``corrected``; a refused correction keeps the status and shows its reasons. The rollup
    decides submitted or not, so the counts agree with its completeness."""
    if standing is None:
        return row
    received = row.received_at or standing.received_at
    if row.status == "missing":
        if standing.status != "rejected":
            return row
        return replace(row, status="rejected", received_at=received, reasons=standing.reasons)
    status = "corrected" if standing.corrected else row.status
    return replace(row, status=status, received_at=received, reasons=standing.reasons)


def unit_statuses(
    rollup: Mapping[str, Any],
    late_units: Iterable[Mapping[str, Any]],
    standings: Mapping[str, Standing] | None = None,
) -> list[UnitStatus]:
    """Every unit of a province's rollup (its own report first, then its communes as the
    rollup lists them), with the received time and deadline the late list gives."""
    late = {u["unit"]: u for u in late_units}
    # A level's deadline is the same for each of its units: those on time have it too.
    deadlines = {u.get("level"): u["deadline"] for u in late.values() if u.get("deadline")}
    own = rollup.get("own")
    units = ([own] if own else []) + list(rollup.get("children", []))
    rows = []
    for unit in units:
        listed = late.get(unit["unit"], {})
        level = unit.get("level", "commune")
        row = UnitStatus(
            unit=unit["unit"],
            name=unit.get("name", unit["unit"]),
            level=level,
            status=status_of(unit.get("completeness")),
            received_at=listed.get("received_at"),
            deadline=listed.get("deadline") or deadlines.get(level),
        )
        rows.append(_refined(row, (standings or {}).get(row.unit)))
    return rows


def _reasons(reasons: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (r.get("message") or r.get("code", ""), r.get("message_en") or r.get("code", ""))
        for r in reasons
    )


def standings_in(report_status: Mapping[str, Any] | None) -> dict[str, Standing]:
    """The validator's ``GET /v1/report-status/{type}/{period}/{unit}``: each unit with a
    submission, the reasons only when its latest submission was refused."""
    found = {}
    for unit in (report_status or {}).get("units", []):
        latest = unit.get("latest") or {}
        refused = latest.get("status") == "rejected"
        found[unit["unit"]] = Standing(
            unit=unit["unit"],
            status=unit["status"],
            corrected=bool(unit.get("corrected")),
            received_at=latest.get("received_at") or unit.get("last_received_at"),
            reasons=_reasons(latest.get("reasons", [])) if refused else (),
        )
    return found


def counts(rows: Iterable[UnitStatus]) -> dict[str, int]:
    """How many units stand in each status, every status present, in :data:`STATUSES` order."""
    tally = dict.fromkeys(STATUSES, 0)
    for row in rows:
        tally[row.status] += 1
    return tally


def on_time_rate(completeness: Mapping[str, Any]) -> float | None:
    """DHIS2's "reporting rate on time": units on time over units expected, in percent."""
    expected = completeness.get("expected") or 0
    return None if not expected else 100 * (completeness.get("on_time") or 0) / expected


def wanted_statuses(asked: Iterable[str]) -> tuple[str, ...]:
    """The statuses a filter names, unknown ones dropped; empty means every status."""
    chosen = set(asked)
    return tuple(s for s in STATUSES if s in chosen)


def filtered(rows: Sequence[UnitStatus], wanted: Collection[str]) -> list[UnitStatus]:
    return [r for r in rows if not wanted or r.status in wanted]


@dataclass(frozen=True)
class Reminder:
    """A notice that named a unit: a reminder to it, or a digest to its province listing it."""

    notice_id: str
    kind: str
    stage: str
    recipient: str
    created_at: str
    delivered: tuple[str, ...] = ()  # the channels it went out on
    cancelled: bool = False


def _named_units(notice: Mapping[str, Any]) -> list[str]:
    if notice.get("kind") == "escalation":
        return [u["unit"] for u in notice.get("late", [])]
    return [notice["unit"]]


def reminders_by_unit(
    records: Iterable[Mapping[str, Any]], kinds: Collection[str] = ("reminder", "escalation")
) -> dict[str, list[Reminder]]:
    """The notifier's history (``GET /v1/notifications``) as the notices of ``kinds`` that
    named each unit, newest first as the history lists them (by default the reminders: a
    rejection notice is not one)."""
    found: dict[str, list[Reminder]] = {}
    for record in records:
        notice = record["notice"]
        if notice.get("kind") not in kinds:
            continue
        reminder = Reminder(
            notice_id=notice["notice_id"],
            kind=notice["kind"],
            stage=notice["stage"],
            recipient=notice["recipient"],
            created_at=record["created_at"],
            delivered=tuple(
                d["channel"] for d in record.get("deliveries", []) if d.get("status") == "sent"
            ),
            cancelled=record.get("cancelled_at") is not None,
        )
        for unit in _named_units(notice):
            found.setdefault(unit, []).append(reminder)
    return found


def rejections_in(records: Iterable[Mapping[str, Any]]) -> dict[str, Standing]:
    """The newest rejection notice of each unit in the notifier's history, as its standing
    (the notifier lists a province's own rejections, not its communes')."""
    found: dict[str, Standing] = {}
    for record in records:
        notice = record["notice"]
        if notice.get("kind") != "rejection" or notice["unit"] in found:
            continue
        reasons = _reasons(notice.get("reasons", []))
        found[notice["unit"]] = Standing(
            notice["unit"], "rejected", received_at=record.get("created_at"), reasons=reasons
        )
    return found


@dataclass(frozen=True)
class MissingUnit:
    unit: str
    name: str
    value: float | int | None


@dataclass(frozen=True)
class TargetRow:
    """A derived indicator with a target: the province's figure, whether it meets it, and the
    units whose own figures miss it."""

    code: str
    title: tuple[str, str]  # (vi, en)
    target: str
    value: float | int | None
    met: bool | None
    units_met: int = 0
    units_missed: int = 0
    units_unjudged: int = 0
    missing: tuple[MissingUnit, ...] = field(default=())


def targeted(derived: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The catalog's derived indicators (``x-baocao-derived``) that have a target."""
    return [d for d in derived if d.get("target")]


def target_rows(
    derived: Iterable[Mapping[str, Any]],
    rollup: Mapping[str, Any],
    missing_lists: Mapping[str, Mapping[str, Any]],
) -> list[TargetRow]:
    """One row per targeted indicator, in the catalog's order."""
    rows = []
    for indicator in targeted(derived):
        code = indicator["code"]
        figure = rollup.get("derived", {}).get(code, {})
        tally = rollup.get("targets", {}).get(code, {})
        listed = missing_lists.get(code, {}).get("units", [])
        title = indicator.get("title", {})
        rows.append(
            TargetRow(
                code=code,
                title=(title.get("vi", code), title.get("en", code)),
                target=str(indicator["target"]),
                value=figure.get("value"),
                met=figure.get("met"),
                units_met=int(tally.get("units_met", 0)),
                units_missed=int(tally.get("units_missed", 0)),
                units_unjudged=int(tally.get("units_unjudged", 0)),
                missing=tuple(
                    MissingUnit(u["unit"], u.get("name") or u["unit"], u.get("value"))
                    for u in listed
                ),
            )
        )
    return rows


def approval_actions(status: str, person_unit: str, roles: Collection[str]) -> tuple[str, ...]:
    """The steps worth offering on a province's approval in ``status``: approving and
    withdrawing it for an approver, accepting and withdrawing the acceptance for Central's.
    The validator still decides; this only leaves out buttons that can only be refused."""
    if APPROVER not in roles:
        return ()
    central = person_unit == CENTRAL
    if status == "open":
        return ("approve",)
    if status == "approved":
        return ("unapprove", "accept") if central else ("unapprove",)
    if status == "accepted" and central:
        return ("unaccept",)
    return ()
