"""Composing the national overview from the read API: every call at once, none per province, the
person's own token, a scope refusal passed on, gaps where history has none."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.web.adapters.services_api import ServicesApi
from services.web.usecases.catalog import CatalogReader, ReportTypeInfo
from services.web.usecases.national import NationalReader, parse_period, period_choices
from services.web.usecases.ports import ServiceRefused
from shared.periods import Periodicity

from .people import token_for
from .test_national_fakes import PERIOD, REPORT_TYPE, FakeServices

QUARTERLY = ReportTypeInfo(REPORT_TYPE, "Quý", "Quarterly", Periodicity.QUARTERLY, ("commune",))
MONTHLY = ReportTypeInfo("lg2-monthly", "Tháng", "Monthly", Periodicity.MONTHLY, ("commune",))


def reader(fake: FakeServices, api: ServicesApi | None = None) -> NationalReader:
    api = api or fake.api()
    return NationalReader(api, CatalogReader(api))


async def test_the_page_asks_each_thing_once_and_nothing_per_province() -> None:
    fake = FakeServices()
    page = await reader(fake).page(QUARTERLY, PERIOD, token_for("VN"), "vi")
    assert sorted(fake.paths()) == sorted(
        [
            f"/v1/late/{REPORT_TYPE}/{PERIOD}",
            *(
                f"/v1/rollups/{REPORT_TYPE}/{p}"
                for p in ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", PERIOD]
            ),
        ]
    )
    assert fake.paths("intake") == [f"/v1/catalog/{REPORT_TYPE}"]
    assert all(r.headers["Authorization"] == f"Bearer {token_for('VN')}" for r in fake.requests)
    assert len(page.overview.tiles) == 34
    assert [row.period for row in page.trend][-1] == PERIOD
    assert page.targets[1].title == "Tỷ lệ hội nghị trực tiếp (%)"
    assert page.lateness is not None
    assert len(page.lateness.provinces) == 34


async def test_the_page_calls_are_made_concurrently() -> None:
    fake = FakeServices()
    in_flight, most = 0, 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return fake(request)

    api = ServicesApi(
        intake="http://intake",
        aggregator="http://aggregator",
        validator="http://validator",
        notifier="http://notifier",
        transport=httpx.MockTransport(slow),
    )
    await reader(fake, api).page(QUARTERLY, PERIOD, token_for("VN"), "vi")
    assert most >= 8  # six rollups, the late list and the catalog at once


async def test_periods_before_the_registry_are_gaps_in_the_trend() -> None:
    trend = await reader(FakeServices()).trend(QUARTERLY, "2025-Q4", token_for("VN"))
    assert [(row.period, row.completeness is None) for row in trend] == [
        ("2024-Q3", True),
        ("2024-Q4", True),
        ("2025-Q1", True),
        ("2025-Q2", True),
        ("2025-Q3", False),
        ("2025-Q4", False),
    ]


async def test_a_province_gets_the_services_refusal() -> None:
    with pytest.raises(ServiceRefused) as refused:
        await reader(FakeServices()).page(QUARTERLY, PERIOD, token_for("01"), "vi")
    assert (refused.value.status, refused.value.reason) == (403, "national_scope_required")


async def test_a_period_total_has_no_late_list_and_does_not_ask_for_one() -> None:
    fake = FakeServices()
    assert await reader(fake).lateness(QUARTERLY, "2026", token_for("VN")) is None
    assert fake.paths() == [f"/v1/rollups/{REPORT_TYPE}/2026"]


def test_a_period_of_the_type_or_a_total_of_its_periods() -> None:
    assert parse_period("2026-Q4", QUARTERLY) is not None
    assert parse_period("2026", QUARTERLY) is not None
    assert parse_period("2026-11", QUARTERLY) is None
    assert parse_period("2026-Q5", QUARTERLY) is None
    assert parse_period("2026-Q4", MONTHLY) is not None


def test_the_toolbar_offers_the_last_eight_periods_and_the_one_shown() -> None:
    assert period_choices(QUARTERLY, "2026-Q4", "2026-Q3") == [
        "2026-Q4",
        "2026-Q3",
        "2026-Q2",
        "2026-Q1",
        "2025-Q4",
        "2025-Q3",
        "2025-Q2",
        "2025-Q1",
    ]
    assert period_choices(QUARTERLY, "2026-Q4", "2026")[0] == "2026"
