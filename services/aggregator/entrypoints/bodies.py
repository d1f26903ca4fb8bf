"""The JSON bodies of the Central read API and the live feed: typed response models, and the
readings of the use cases shaped into them.

The models are ``TypedDict``s, which pydantic validates, documents and serialises as it does
``BaseModel``s: a body is built as plain dicts (the type checker holds them to the model) and
written by ``TypeAdapter.dump_json`` in pydantic-core, bypassing FastAPI's generic encoder,
while each route declares its model as ``response_model`` for the OpenAPI document. Shaping
and writing a national rollup (35 bodies) took 0.7 ms as dicts with ``json.dumps`` (before),
0.9-2.6 ms as validated ``BaseModel``s, and takes 0.4 ms this way. A key shown only
sometimes (``periods`` of a period total, a province's ``own`` report, a level's ``children``,
a year's ``compared_with``, a derived indicator's ``target`` and ``met``) is ``NotRequired``:
left out of the body when absent, as it always was, never sent as null.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime
from typing import Annotated, NotRequired, cast

from fastapi.responses import Response
from pydantic import PlainSerializer, TypeAdapter, WithJsonSchema
from typing_extensions import TypedDict

from services.aggregator.adapters.feed_publisher import Summaries, Versioned
from services.aggregator.usecases.readings import (
    LateList,
    MissingTargetList,
    RollupReading,
    UnitFigures,
)

Figure = float | int | None
# An instant in UTC written with ``Z`` (2026-12-10T02:00:00Z), as the live feed writes it.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# Instants as Python writes them (``+00:00``, not ``Z``), the form clients have always had.
Instant = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class DerivedFigure(TypedDict):
    value: Figure
    target: NotRequired[str]  # e.g. ">= 15", for an indicator with a target
    met: NotRequired[bool | None]  # None: no figure to judge


class CompletenessBody(TypedDict):
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    rate_pct: float | None


class TargetBody(TypedDict):
    """Of the units the figures cover, how many meet the target on their own figures."""

    target: str
    units_met: int
    units_missed: int
    units_unjudged: int


class RollupSummary(TypedDict):
    """A unit's or level's figures for a period, without children (a child, or a live-feed
    update)."""

    report_type: str
    period: str
    unit: str
    name: str
    level: str
    values: dict[str, Figure]
    derived: dict[str, DerivedFigure]
    completeness: CompletenessBody
    targets: dict[str, TargetBody]
    periods: NotRequired[list[str]]  # a period total's parts


class RollupUpdate(RollupSummary):
    """What the live feed publishes on ``rollups.updated.<report_type>.<period>.<unit>``: a
    province's or the nation's summary, and when it was published."""

    updated_at: Timestamp


class YearBeforeBody(TypedDict):
    period: str
    values: dict[str, Figure]
    change_pct: dict[str, float | None]


class RollupBody(RollupSummary):
    own: NotRequired[RollupSummary]  # a province's own report, if provinces report
    children: NotRequired[list[RollupSummary]]  # the provinces, or a province's communes
    compared_with: NotRequired[YearBeforeBody]  # a year: the same total a year earlier


class LateUnitBody(TypedDict):
    unit: str
    name: str
    level: str
    province: str | None
    deadline: Instant | None
    status: str  # "late" or "missing"
    received_at: Instant | None


class LateBody(TypedDict):
    report_type: str
    period: str
    province: str | None
    count: int
    units: list[LateUnitBody]


class TargetRule(TypedDict):
    code: str
    rule: str


class MissingUnitBody(TypedDict):
    unit: str
    name: str | None
    province: str | None
    value: Figure


class MissingTargetBody(TypedDict):
    report_type: str
    period: str
    target: TargetRule
    province: str | None
    count: int
    units: list[MissingUnitBody]


def summary(figures: UnitFigures) -> RollupSummary:
    c = figures.completeness
    body = RollupSummary(
        report_type=figures.report_type,
        period=figures.period,
        unit=figures.unit.code,
        name=figures.unit.name,
        level=figures.unit.level.value,
        values=figures.values,
        derived=cast(dict[str, DerivedFigure], figures.derived),  # derived_values' entries
        completeness=CompletenessBody(
            expected=c.expected,
            submitted=c.submitted,
            on_time=c.on_time,
            late=c.late,
            missing=c.missing,
            rate_pct=c.rate_pct,
        ),
        targets={
            code: TargetBody(
                target=j.target, units_met=j.met, units_missed=j.missed, units_unjudged=j.unjudged
            )
            for code, j in figures.targets.items()
        },
    )
    if figures.periods is not None:
        body["periods"] = figures.periods
    return body


def rollup_body(reading: RollupReading) -> RollupBody:
    body = cast(RollupBody, summary(reading.figures))
    if reading.own is not None:
        body["own"] = summary(reading.own)
    if reading.children is not None:
        body["children"] = [summary(child) for child in reading.children]
    if (before := reading.compared_with) is not None:
        body["compared_with"] = YearBeforeBody(
            period=before.period, values=before.values, change_pct=before.change_pct
        )
    return body


def late_body(found: LateList) -> LateBody:
    return LateBody(
        report_type=found.report_type,
        period=found.period,
        province=found.province,
        count=len(found.units),
        units=[
            LateUnitBody(
                unit=u.unit.code,
                name=u.unit.name,
                level=u.unit.level.value,
                province=u.unit.province,
                deadline=u.deadline,
                status=u.status,
                received_at=u.report.received_at if u.report is not None else None,
            )
            for u in found.units
        ],
    )


def missing_target_body(found: MissingTargetList) -> MissingTargetBody:
    return MissingTargetBody(
        report_type=found.report_type,
        period=found.period,
        target=TargetRule(code=found.target, rule=found.rule),
        province=found.province,
        count=len(found.units),
        units=[
            MissingUnitBody(unit=u.unit, name=u.name, province=u.province, value=u.value)
            for u in found.units
        ],
    )


_ROLLUP = TypeAdapter(RollupBody)
_LATE = TypeAdapter(LateBody)
_MISSING_TARGET = TypeAdapter(MissingTargetBody)


def rollup_response(body: RollupBody) -> Response:
    return _json(_ROLLUP.dump_json(body))


def late_response(body: LateBody) -> Response:
    return _json(_LATE.dump_json(body))


def missing_target_response(body: MissingTargetBody) -> Response:
    return _json(_MISSING_TARGET.dump_json(body))


def _json(content: bytes) -> Response:
    return Response(content, media_type="application/json")


ReadSummaries = Callable[
    [str, str, Collection[str]], Awaitable[Mapping[str, tuple[UnitFigures, int]]]
]


def feed_summaries(read: ReadSummaries) -> Summaries:
    """The live feed's bodies: the same summaries the read API shows, with their versions."""

    async def summaries(
        report_type: str, period: str, provinces: Collection[str]
    ) -> dict[str, Versioned]:
        found = await read(report_type, period, provinces)
        return {
            code: Versioned(summary(figures), version) for code, (figures, version) in found.items()
        }

    return summaries
