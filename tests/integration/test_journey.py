"""A report's whole journey: commune → intake → JetStream → validator → aggregator → Central."""

from __future__ import annotations

import pytest

from tests.integration.conftest import SystemFactory
from tests.integration.system import as_decimal, submission

pytestmark = pytest.mark.integration


async def test_one_commune_report_reaches_central(start_system: SystemFactory) -> None:
    system = await start_system()
    body = submission("00070")

    response = await system.submit(body)

    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["submission_id"] == body["submission_id"]
    assert receipt["status"] == "received"
    status = await system.settled(body["submission_id"])
    assert status["status"] == "accepted"
    assert status["timeliness"] == "on_time"
    national = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4")
    assert national["unit"] == "VN"
    assert national["values"]["docs_issued"] == 80
    assert as_decimal(national["values"]["conference_budget_spent"]) == as_decimal("40.25")
    assert national["completeness"]["submitted"] == 1
    assert national["completeness"]["expected"] == 3321 + 34
    assert national["derived"]["docs_reduction_pct"]["value"] == 20
    assert national["derived"]["docs_reduction_pct"]["met"] is True
    hanoi = next(child for child in national["children"] if child["unit"] == "01")
    assert hanoi["values"]["docs_issued"] == 80
    province = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    assert [c["unit"] for c in province["children"] if c["completeness"]["submitted"]] == ["00070"]
