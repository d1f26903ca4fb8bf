"""The read API's bodies hold to their declared models (the OpenAPI document's schemas), and
keys shown only sometimes are left out rather than sent as null."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from services.aggregator.entrypoints.bodies import (
    LateBody,
    MissingTargetBody,
    RollupBody,
    late_body,
    late_response,
    missing_target_body,
    rollup_body,
    rollup_response,
)
from tests.unit.test_aggregator_usecases import (
    BA_DINH,
    HA_NOI,
    HOAN_KIEM,
    KL226,
    Q4,
    System,
    verdict,
)


def valid(model: Any, body: Any) -> None:
    TypeAdapter(model).validate_python(body, strict=True)


async def test_rollup_bodies_are_their_model_and_leave_out_what_does_not_apply() -> None:
    system = System()
    await system.aggregation.apply(
        [verdict(HOAN_KIEM, period="2025-Q4"), verdict(HOAN_KIEM), verdict(BA_DINH)]
    )

    national = rollup_body(await system.rollups.national(KL226, Q4))
    province = rollup_body(await system.rollups.for_unit(KL226, Q4, HA_NOI))
    commune_year = rollup_body(await system.rollups.for_unit(KL226, "2026", HOAN_KIEM))

    for body in (national, province, commune_year):
        valid(RollupBody, body)
    assert {"periods", "own", "compared_with"}.isdisjoint(national)
    assert len(national["children"]) == 34
    assert "periods" not in province
    assert "children" not in commune_year
    assert commune_year["periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert commune_year["compared_with"]["period"] == "2025"
    target = national["derived"]["docs_reduction_pct"]
    assert set(target) == {"value", "target", "met"}
    assert json.loads(bytes(rollup_response(national).body)) == national


async def test_list_bodies_are_their_model_with_instants_as_python_writes_them() -> None:
    system = System()
    await system.aggregation.apply(
        [verdict(HOAN_KIEM, docs_issued=95), verdict(BA_DINH, timeliness="late", minutes=1)]
    )

    late = late_body(await system.lists.late(KL226, Q4, HA_NOI))
    missing = missing_target_body(
        await system.lists.missing_target(KL226, Q4, "docs_reduction_pct", HA_NOI)
    )

    valid(LateBody, late)
    valid(MissingTargetBody, missing)
    written = json.loads(bytes(late_response(late).body))
    by_unit = {u["unit"]: u for u in written["units"]}
    assert by_unit[BA_DINH]["status"] == "late"
    assert by_unit[BA_DINH]["received_at"] == "2026-12-10T02:01:00+00:00"
    assert by_unit[BA_DINH]["deadline"].endswith("+07:00")
    assert written["count"] == len(written["units"])
    assert [u["unit"] for u in missing["units"]] == [HOAN_KIEM]
