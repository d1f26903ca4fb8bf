"""A unit's standing on one report, as a specification: on time, late or rejected, corrected,
and its latest submission; then the use case on the in-memory store (scope and refusals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from services.validator.domain.report_status import Standing, Submitted, statuses, unit_status
from services.validator.usecases.report_status import ReportStatuses
from shared.catalog import Catalog
from shared.identity import Caller, Forbidden, Role
from shared.refusals import Kind, Refusal
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Reason, Timeliness, Verdict
from tests.fakes.validator import InMemoryValidatorTables
from tests.fakes.validator_report_status import InMemoryReportStatusStore

T0 = datetime(2026, 12, 10, 2, tzinfo=UTC)
KL226, Q4 = "kl226-quarterly", "2026-Q4"
HA_NOI, CUA_NAM, HOAN_KIEM, BA_DINH, HO_CHI_MINH = "01", "00073", "00070", "00004", "79"
THU_DAU_MOT = "25747"  # a ward of Hồ Chí Minh City
BROKEN = Reason(
    code="rule_violated",
    message="Số hội nghị trực tiếp và trực tuyến phải bằng tổng số",
    message_en="In-person and online conferences must add up to the total",
    indicator="conferences_in_person",
    rule="conferences_split",
)


def sent(
    submission_id: str,
    minutes: int,
    status: Literal["accepted", "rejected"] = "accepted",
    timeliness: Timeliness | None = "on_time",
    *,
    unit: str = CUA_NAM,
    seq: int | None = None,
) -> Submitted:
    rejected = status == "rejected"
    return Submitted(
        submission_id=submission_id,
        unit=unit,
        status=status,
        timeliness=None if rejected else timeliness,
        received_at=T0 + timedelta(minutes=minutes),
        stream_seq=minutes if seq is None else seq,
        reasons=(BROKEN,) if rejected else (),
    )


# The rules.


def test_a_unit_with_only_rejections_is_rejected_and_shows_why() -> None:
    status = unit_status([sent("a", 0, "rejected"), sent("b", 10, "rejected")])

    assert status.status == Standing.REJECTED
    assert (status.submissions, status.accepted, status.rejected) == (2, 0, 2)
    assert not status.corrected
    assert status.latest.submission_id == "b"
    assert status.latest.reasons == (BROKEN,)


def test_one_accepted_report_on_time_is_on_time_and_not_corrected() -> None:
    status = unit_status([sent("a", 0)])

    assert (status.status, status.corrected) == (Standing.ON_TIME, False)
    assert status.first_received_at == status.last_received_at == T0


def test_an_accepted_report_never_on_time_is_late() -> None:
    status = unit_status([sent("a", 0, timeliness="late"), sent("b", 5, timeliness="late")])

    assert (status.status, status.corrected) == (Standing.LATE, True)


def test_on_time_once_on_time_for_good_whatever_came_after() -> None:
    status = unit_status([sent("a", 0), sent("b", 60 * 24 * 20, timeliness="late")])

    assert status.status == Standing.ON_TIME
    assert status.corrected
    # The latest is the late correction itself, with its own timeliness.
    assert (status.latest.submission_id, status.latest.timeliness) == ("b", "late")


def test_on_time_even_when_the_on_time_report_arrived_after_the_late_one_in_the_list() -> None:
    assert unit_status([sent("b", 10, timeliness="late"), sent("a", 0)]).status == Standing.ON_TIME


def test_an_accepted_report_without_a_timeliness_counts_as_on_time_as_in_the_merge_rule() -> None:
    assert unit_status([sent("a", 0, timeliness=None)]).status == Standing.ON_TIME


def test_a_rejection_after_an_accepted_report_keeps_the_status_and_shows_as_latest() -> None:
    status = unit_status([sent("a", 0), sent("b", 30, "rejected")])

    assert (status.status, status.corrected) == (Standing.ON_TIME, False)
    assert (status.submissions, status.accepted, status.rejected) == (2, 1, 1)
    assert (status.latest.submission_id, status.latest.status) == ("b", "rejected")
    assert status.latest.reasons == (BROKEN,)
    assert (status.first_received_at, status.last_received_at) == (T0, T0 + timedelta(minutes=30))


def test_rejections_do_not_count_as_corrections() -> None:
    status = unit_status([sent("a", 0, "rejected"), sent("b", 10), sent("c", 20, "rejected")])

    assert (status.status, status.corrected, status.accepted) == (Standing.ON_TIME, False, 1)


def test_latest_follows_the_report_order_received_at_then_stream_sequence_then_id() -> None:
    tie = [sent("z", 0, seq=11), sent("a", 0, "rejected", seq=12)]
    same_seq = [sent("b", 0, seq=5), sent("a", 0, "rejected", seq=5)]

    assert unit_status(tie).latest.submission_id == "a"
    assert unit_status(list(reversed(tie))).latest.submission_id == "a"
    assert unit_status(same_seq).latest.submission_id == "b"


def test_statuses_are_one_per_unit_by_code() -> None:
    found = statuses(
        [sent("p", 0, unit=HA_NOI), sent("c2", 5, unit=BA_DINH), sent("c1", 0), sent("c3", 9)]
    )

    assert [(s.unit, s.submissions) for s in found] == [(BA_DINH, 1), (CUA_NAM, 2), (HA_NOI, 1)]
    assert statuses([]) == []


def test_a_status_needs_submissions_of_one_unit() -> None:
    with pytest.raises(ValueError, match="without submissions"):
        unit_status([])
    with pytest.raises(ValueError, match="several units"):
        unit_status([sent("a", 0), sent("b", 0, unit=BA_DINH)])


# The use case: scope as the audit's, refusals as the other routes'.


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(units_from_package())


@pytest.fixture
def service(registry: Registry) -> ReportStatuses:
    tables = InMemoryValidatorTables()
    rows = [
        (CUA_NAM, HA_NOI, "rejected", 0),
        (HOAN_KIEM, HA_NOI, "accepted", 1),
        (HA_NOI, HA_NOI, "accepted", 2),
        (THU_DAU_MOT, HO_CHI_MINH, "accepted", 3),
    ]
    for unit, province, status, seq in rows:
        verdict = Verdict(
            submission_id=f"{unit}-{seq}",
            report_type=KL226,
            period=Q4,
            unit=unit,
            province=province,
            status="accepted" if status == "accepted" else "rejected",
            reasons=[] if status == "accepted" else [BROKEN],
            timeliness="on_time" if status == "accepted" else None,
            received_at=T0 + timedelta(minutes=seq),
            stream_seq=seq,
        )
        tables.submissions[verdict.submission_id] = verdict
    return ReportStatuses(InMemoryReportStatusStore(tables), registry, Catalog.load())


def reader(unit: str) -> Caller:
    return Caller(subject=f"{unit}-reader", unit=unit, roles=frozenset({Role.READER}))


async def listed(service: ReportStatuses, caller: str, unit: str) -> list[str]:
    report = await service.within(reader(caller), KL226, Q4, unit)
    return [s.unit for s in report.units]


async def test_a_province_sees_itself_and_its_communes_that_submitted(
    service: ReportStatuses,
) -> None:
    assert await listed(service, HA_NOI, HA_NOI) == [HOAN_KIEM, CUA_NAM, HA_NOI]
    assert await listed(service, "VN", HA_NOI) == [HOAN_KIEM, CUA_NAM, HA_NOI]


async def test_a_commune_sees_itself_and_central_every_unit(service: ReportStatuses) -> None:
    assert await listed(service, CUA_NAM, CUA_NAM) == [CUA_NAM]
    assert await listed(service, HA_NOI, BA_DINH) == []  # reached, nothing submitted
    assert await listed(service, "VN", "VN") == [HOAN_KIEM, CUA_NAM, HA_NOI, THU_DAU_MOT]


@pytest.mark.parametrize(
    ("caller", "unit"),
    [(HO_CHI_MINH, HA_NOI), (BA_DINH, CUA_NAM), (CUA_NAM, HA_NOI), (HA_NOI, "VN")],
)
async def test_anyone_else_is_forbidden(service: ReportStatuses, caller: str, unit: str) -> None:
    with pytest.raises(Forbidden) as refusal:
        await service.within(reader(caller), KL226, Q4, unit)

    assert refusal.value.reason == "not_your_unit"


@pytest.mark.parametrize(
    ("report_type", "period", "unit", "reason"),
    [
        ("nope", Q4, HA_NOI, "unknown_report_type"),
        (KL226, "2026-13", HA_NOI, "invalid_period"),
        (KL226, "2026-05", HA_NOI, "invalid_period"),  # a month, for a quarterly report
        (KL226, Q4, "99999", "unknown_unit"),
    ],
)
async def test_unknown_names_are_not_found(
    service: ReportStatuses, report_type: str, period: str, unit: str, reason: str
) -> None:
    with pytest.raises(Refusal) as refusal:
        await service.within(reader("VN"), report_type, period, unit)

    assert (refusal.value.kind, refusal.value.reason) == (Kind.NOT_FOUND, reason)
