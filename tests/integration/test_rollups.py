"""Rollups through the Central read API: every aggregation type, zero versus missing, target
counts, and period totals (a year from its quarters)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shared.clock import ClockSegment, ScheduledClock
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, as_decimal, submission

pytestmark = pytest.mark.integration

HOAN_KIEM, CUA_NAM, BA_DINH = "00070", "00073", "00004"
VUNG_TAU = "26506"


def move_to(clock: ScheduledClock, instant: datetime) -> None:
    clock.replace([*clock.segments, ClockSegment(datetime.now(UTC), instant, 0)])


def lg2_report(unit: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "staff_positions": 50,
        "staff_in_post": 45,
        "key_posts_vacant": 1,
        "training_sessions": 2,
        "staff_trained": 30,
        "procedures_received": 100,
        "procedures_on_time": 98,
        "procedures_online": 96,
        "procedures_non_territorial": 5,
        "digital_signatures_issued": 4,
        "vacant_buildings": 0,
        "citizen_satisfaction_pct": 90,
    }
    base.update(values)
    body = submission(unit, report_type="lg2-monthly", period="2026-12")
    body["values"] = {k: v for k, v in base.items() if v is not None}
    return body


async def accepted(system: System, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        response = await system.submit(body)
        assert response.status_code == 202, response.text
    for body in bodies:
        status = await system.settled(body["submission_id"])
        assert status["status"] == "accepted", status


async def test_every_aggregation_type_reaches_the_province_and_the_nation(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await accepted(
        system,
        lg2_report(
            HOAN_KIEM,
            procedures_received=300,
            citizen_satisfaction_pct=90,
            bandwidth_mbps=8.5,
            longest_resolution_days=12,
            network_outage_hours=3,
        ),
        lg2_report(
            CUA_NAM,
            procedures_received=100,
            procedures_on_time=90,
            procedures_online=90,
            citizen_satisfaction_pct=50,
            bandwidth_mbps=100,
            longest_resolution_days=30,
            staff_in_post=40,
        ),
        lg2_report(VUNG_TAU, procedures_received=0, procedures_on_time=0, procedures_online=0),
    )

    hanoi = await system.rollup("/v1/rollups/lg2-monthly/2026-12/01")
    values = hanoi["values"]
    assert values["procedures_received"] == 400  # sum
    assert as_decimal(values["citizen_satisfaction_pct"]) == Decimal(80)  # weighted by received
    assert as_decimal(values["bandwidth_mbps"]) == Decimal("8.5")  # min
    assert as_decimal(values["longest_resolution_days"]) == Decimal(30)  # max
    assert values["staff_in_post"] == 85  # last: a stock, summed across units
    assert values["network_outage_hours"] == 1  # count: units that reported an outage

    national = await system.rollup("/v1/rollups/lg2-monthly/2026-12")
    # Vũng Tàu's satisfaction has no weight (nothing received): it does not move the mean.
    assert as_decimal(national["values"]["citizen_satisfaction_pct"]) == Decimal(80)
    assert national["values"]["procedures_received"] == 400
    assert national["values"]["staff_in_post"] == 130
    assert national["completeness"]["submitted"] == 3


async def test_zero_is_a_figure_and_missing_is_not(start_system: SystemFactory) -> None:
    system = await start_system()
    await accepted(system, lg2_report(HOAN_KIEM, network_outage_hours=0, bandwidth_mbps=0))

    commune = await system.rollup(f"/v1/rollups/lg2-monthly/2026-12/{HOAN_KIEM}")
    assert commune["values"]["network_outage_hours"] == 0  # its own figure, as reported
    assert commune["values"]["bandwidth_mbps"] == 0
    hanoi = await system.rollup("/v1/rollups/lg2-monthly/2026-12/01")
    assert hanoi["values"]["network_outage_hours"] == 1  # a zero is a report: one unit
    assert commune["values"]["longest_resolution_days"] is None
    national = await system.rollup("/v1/rollups/lg2-monthly/2026-12")
    assert national["values"]["longest_resolution_days"] is None
    hcm = next(c for c in national["children"] if c["unit"] == "79")
    assert hcm["values"]["procedures_received"] is None  # nobody reported: not 0


async def test_target_counts_say_how_many_units_meet_each_target(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await accepted(
        system,
        submission(HOAN_KIEM, conferences_in_person=3, conferences_online=7),
        submission(CUA_NAM, conferences_in_person=6, conferences_online=4),
        submission(
            BA_DINH,
            conferences_in_person=0,
            conferences_online=0,
            conferences_total=0,
            conferences_over_duration=0,
        ),
    )

    national = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4")
    in_person = national["targets"]["in_person_share_pct"]
    assert in_person["target"] == "<= 40"
    assert (in_person["units_met"], in_person["units_missed"]) == (1, 1)
    assert in_person["units_unjudged"] == 3321 + 34 - 2
    hanoi = next(c for c in national["children"] if c["unit"] == "01")
    assert hanoi["targets"]["in_person_share_pct"]["units_missed"] == 1
    province = await system.rollup("/v1/rollups/kl226-quarterly/2026-Q4/01")
    missed = [
        c["unit"]
        for c in province["children"]
        if c["derived"]["in_person_share_pct"]["met"] is False
    ]
    assert missed == [CUA_NAM]
    listed = await system.rollup("/v1/targets/kl226-quarterly/2026-Q4/in_person_share_pct")
    assert listed["target"] == {"code": "in_person_share_pct", "rule": "<= 40"}
    assert [(u["unit"], u["value"]) for u in listed["units"]] == [(CUA_NAM, 60)]
    elsewhere = await system.rollup(
        "/v1/targets/kl226-quarterly/2026-Q4/in_person_share_pct?province=79"
    )
    assert elsewhere["count"] == 0
    unknown = await system.central_http.get("/v1/targets/kl226-quarterly/2026-Q4/docs_issued")
    assert unknown.status_code == 404
    assert unknown.json()["reason"] == "unknown_target"


async def test_a_year_is_the_total_of_its_quarters_set_against_the_year_before(
    start_system: SystemFactory, clock: ScheduledClock
) -> None:
    system = await start_system()
    quarters = {
        "2025-Q4": (datetime(2025, 12, 10, 2, tzinfo=UTC), 1000),
        "2026-Q1": (datetime(2026, 3, 10, 2, tzinfo=UTC), 300),
        "2026-Q2": (datetime(2026, 6, 10, 2, tzinfo=UTC), 200),
        "2026-Q3": (datetime(2026, 9, 10, 2, tzinfo=UTC), 150),
        "2026-Q4": (datetime(2026, 12, 10, 2, tzinfo=UTC), 150),
    }
    for period, (instant, docs) in quarters.items():
        move_to(clock, instant)
        await accepted(system, submission(HOAN_KIEM, period=period, docs_issued=docs))

    year = await system.rollup("/v1/rollups/kl226-quarterly/2026")
    assert year["period"] == "2026"
    assert year["periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert year["values"]["docs_issued"] == 800
    assert year["values"]["docs_issued_prev_year"] == 400
    assert year["completeness"]["submitted"] == 4
    assert year["completeness"]["expected"] == 4 * (3321 + 34)
    assert year["compared_with"]["period"] == "2025"
    assert year["compared_with"]["values"]["docs_issued"] == 1000
    assert year["compared_with"]["change_pct"]["docs_issued"] == -20.0
    half = await system.rollup(f"/v1/rollups/kl226-quarterly/2026-H1/{HOAN_KIEM}")
    assert half["values"]["docs_issued"] == 500
    commune_year = await system.rollup(f"/v1/rollups/kl226-quarterly/2026/{HOAN_KIEM}")
    assert commune_year["values"]["docs_issued"] == 800
    # Each level sets its year against its own year before.
    assert commune_year["compared_with"]["values"]["docs_issued"] == 1000
    assert commune_year["compared_with"]["change_pct"]["docs_issued"] == -20.0
    province_year = await system.rollup("/v1/rollups/kl226-quarterly/2026/01")
    assert province_year["compared_with"]["period"] == "2025"
    assert province_year["compared_with"]["change_pct"]["docs_issued"] == -20.0
    assert "compared_with" not in half  # only a year has a year before it

    # The provinces' totals are cached on their rows' versions: a correction is seen at once.
    assert await system.rollup("/v1/rollups/kl226-quarterly/2026") == year
    await accepted(system, submission(HOAN_KIEM, period="2026-Q4", docs_issued=250))
    corrected = await system.rollup("/v1/rollups/kl226-quarterly/2026")
    assert corrected["values"]["docs_issued"] == 900
    assert corrected["completeness"] == year["completeness"]  # a correction: no new report


async def test_a_quarter_takes_each_units_last_stock_and_judges_targets_on_its_total(
    start_system: SystemFactory, clock: ScheduledClock
) -> None:
    """Hoàn Kiếm reports October to December, Cửa Nam only October and November. The quarter's
    staff in post is each commune's own latest figure, summed (Cửa Nam's November counts
    although the province's December has only Hoàn Kiếm). Hoàn Kiếm's applications on time
    are 90, 100 and 100 of 100 a month: below the 95 % target in October, 96.7 % over the
    quarter, so it meets the quarter's target."""
    system = await start_system()
    months = {
        "2026-10": datetime(2026, 10, 28, 2, tzinfo=UTC),
        "2026-11": datetime(2026, 11, 27, 2, tzinfo=UTC),
        "2026-12": datetime(2026, 12, 29, 2, tzinfo=UTC),
    }
    hoan_kiem = {"2026-10": (40, 90), "2026-11": (41, 100), "2026-12": (42, 100)}
    cua_nam = {"2026-10": 47, "2026-11": 48}
    for month, instant in months.items():
        move_to(clock, instant)
        staff, on_time = hoan_kiem[month]
        bodies = [lg2_report(HOAN_KIEM, staff_in_post=staff, procedures_on_time=on_time)]
        if month in cua_nam:
            bodies.append(lg2_report(CUA_NAM, staff_in_post=cua_nam[month]))
        for body in bodies:
            body["period"] = month
        await accepted(system, *bodies)

    hanoi = await system.rollup("/v1/rollups/lg2-monthly/2026-Q4/01")
    national = await system.rollup("/v1/rollups/lg2-monthly/2026-Q4")
    commune = await system.rollup(f"/v1/rollups/lg2-monthly/2026-Q4/{HOAN_KIEM}")
    missing = await system.rollup("/v1/targets/lg2-monthly/2026-Q4/procedures_on_time_pct")

    assert hanoi["periods"] == ["2026-10", "2026-11", "2026-12"]
    assert hanoi["values"]["staff_in_post"] == 42 + 48
    assert national["values"]["staff_in_post"] == 42 + 48
    assert commune["values"]["staff_in_post"] == 42
    on_time = hanoi["targets"]["procedures_on_time_pct"]
    # Each commune judged once, on its quarter; Hà Nội's other communes have no figure.
    assert (on_time["units_met"], on_time["units_missed"]) == (2, 0)
    assert on_time["units_unjudged"] == hanoi["completeness"]["expected"] // 3 - 2
    assert national["targets"]["procedures_on_time_pct"]["units_met"] == 2
    assert commune["derived"]["procedures_on_time_pct"]["met"] is True
    assert missing["count"] == 0
    october = await system.rollup("/v1/targets/lg2-monthly/2026-10/procedures_on_time_pct")
    assert [u["unit"] for u in october["units"]] == [HOAN_KIEM]  # the month alone misses


async def test_a_period_that_is_not_made_of_the_report_types_periods_is_refused(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    response = await system.central_http.get("/v1/rollups/kl226-quarterly/2026-11")
    assert response.status_code == 404
    assert response.json()["reason"] == "invalid_period"
