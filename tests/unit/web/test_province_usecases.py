"""The province page's calls: the person's token, the page's province named in every call,
one round of concurrent calls whatever the number of communes, and the notifier optional."""

from __future__ import annotations

import json

import pytest

from services.web.usecases import province as usecase
from services.web.usecases.approvals import take_step
from services.web.usecases.catalog import CatalogReader
from services.web.usecases.ports import ServiceRefused

from .people import token_for
from .test_province_fakes import PERIOD, REPORT_TYPE, FakeServices


async def _page(fake: FakeServices, unit: str = "01", person: str = "01") -> usecase.ProvincePage:
    api = fake.api()
    reads = usecase.ProvinceReads(api, token_for(person), REPORT_TYPE, PERIOD, unit)
    return await usecase.page(reads, CatalogReader(api), [])


async def test_the_page_asks_each_service_once_whatever_the_number_of_communes() -> None:
    few, many = FakeServices(communes=3), FakeServices(communes=120)
    await _page(few)
    page = await _page(many)
    assert sorted(few.calls()) == sorted(many.calls())
    assert len(page.communes.rows) == 121
    assert sorted(many.calls()) == sorted(
        [
            f"GET /v1/catalog/{REPORT_TYPE}",
            f"GET /v1/rollups/{REPORT_TYPE}/{PERIOD}/01",
            f"GET /v1/late/{REPORT_TYPE}/{PERIOD}?province=01",
            f"GET /v1/targets/{REPORT_TYPE}/{PERIOD}/docs_reduction_pct?province=01",
            f"GET /v1/targets/{REPORT_TYPE}/{PERIOD}/in_person_share_pct?province=01",
            "GET /v1/notifications?unit=01&limit=200",
            f"GET /v1/approvals/{REPORT_TYPE}/{PERIOD}/01",
            f"GET /v1/report-status/{REPORT_TYPE}/{PERIOD}/01",
        ]
    )


async def test_every_call_carries_the_person_token() -> None:
    fake = FakeServices()
    await _page(fake)
    assert {r.headers["Authorization"] for r in fake.requests} == {f"Bearer {token_for('01')}"}


async def test_the_page_reads_statuses_reminders_targets_and_approval() -> None:
    page = await _page(FakeServices(communes=3))
    assert page.communes.counts == {
        "on_time": 1,
        "late": 0,
        "corrected": 0,
        "rejected": 1,
        "missing": 2,
    }
    assert page.communes.rows[2].reasons == (("Không khớp", "Mismatch"),)
    assert [u["unit"] for u in page.late.units] == ["01", "00005", "00006"]
    assert [r.stage for r in page.late.reminders["00006"]] == ["parent+1"]
    assert [row.code for row in page.targets.rows] == ["docs_reduction_pct", "in_person_share_pct"]
    assert page.targets.rows[0].met is True
    assert page.targets.rows[1].missing[0].value == 55.5
    assert page.approval["own"]["status"] == "open"


async def test_the_notifier_being_down_leaves_the_figures_on_the_page() -> None:
    page = await _page(FakeServices(notifier_down=True))
    assert page.late.notices_refused is not None
    assert page.late.notices_refused.status == 503
    assert page.late.reminders == {}
    assert page.communes.counts["on_time"] == 1


async def test_without_the_validator_report_status_the_other_statuses_stand() -> None:
    page = await _page(FakeServices(validator_without_report_status=True))
    assert page.communes.verdicts_refused is not None
    assert page.communes.counts["rejected"] == 0
    assert page.communes.counts["missing"] == 3


async def test_another_province_gets_the_service_refusal_not_a_page() -> None:
    with pytest.raises(ServiceRefused) as refused:
        await _page(FakeServices(), unit="01", person="79")
    assert refused.value.status == 403


async def test_a_late_unit_contacts_are_read_only_when_asked() -> None:
    fake = FakeServices()
    reads = usecase.ProvinceReads(fake.api(), token_for("01"), REPORT_TYPE, PERIOD, "01")
    found = await usecase.unit_contacts(reads, "00005")
    assert found.contacts.value["emails"] == ["vanthu@00005.gov.vn"]
    assert sorted(fake.calls()) == [
        "GET /v1/contacts/00005",
        "GET /v1/notifications?unit=00005&limit=20",
    ]


async def test_a_unit_out_of_reach_refuses_its_contacts_fragment_as_a_whole() -> None:
    reads = usecase.ProvinceReads(FakeServices().api(), token_for("79"), REPORT_TYPE, PERIOD, "79")
    with pytest.raises(ServiceRefused) as refused:
        await usecase.unit_contacts(reads, "00005")
    assert refused.value.status == 403


async def test_withdrawing_an_approval_sends_its_reason() -> None:
    fake = FakeServices(approval="approved")
    outcome = await take_step(
        fake.api(), token_for("01"), "unapprove", REPORT_TYPE, PERIOD, "01", "Xã bổ sung"
    )
    assert outcome.refused is None
    [request] = fake.requests
    assert request.method == "DELETE"
    assert json.loads(request.content) == {"reason": "Xã bổ sung"}
    assert fake.approval == "open"


async def test_a_refused_step_is_returned_to_be_shown() -> None:
    fake = FakeServices(approval="accepted", refuse_step=(409, "accepted_by_central"))
    outcome = await take_step(
        fake.api(), token_for("01"), "unapprove", REPORT_TYPE, PERIOD, "01", "x"
    )
    assert outcome.refused is not None
    assert (outcome.refused.status, outcome.refused.reason) == (409, "accepted_by_central")


async def test_central_accepts_on_the_acceptance_resource() -> None:
    fake = FakeServices(approval="approved")
    await take_step(fake.api(), token_for("VN"), "accept", REPORT_TYPE, PERIOD, "01")
    assert fake.calls() == [f"POST /v1/approvals/{REPORT_TYPE}/{PERIOD}/01/acceptance"]
    assert fake.approval == "accepted"


async def test_path_segments_are_quoted_not_interpreted() -> None:
    fake = FakeServices()
    reads = usecase.ProvinceReads(fake.api(), token_for("VN"), REPORT_TYPE, PERIOD, "01?x=1")
    await reads.rollup()
    assert (
        fake.requests[0].url.raw_path == f"/v1/rollups/{REPORT_TYPE}/{PERIOD}/01%3Fx%3D1".encode()
    )
