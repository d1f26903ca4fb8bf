"""judge(): whether a submission counts and whether it was on time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.validator.domain.judgement import Judgement, judge
from shared.catalog import Catalog, Level
from shared.periods import VIETNAM
from shared.registry import Registry, Unit
from shared.registry.seed import TWO_LEVEL_START, units_from_package
from shared.schemas import Submission

HOAN_KIEM = "00070"
HA_NOI = "01"
ON_TIME = datetime(2026, 3, 10, 9, 0, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="module")
def units() -> list[Unit]:
    return units_from_package()


@pytest.fixture(scope="module")
def registry(units: list[Unit]) -> Registry:
    return Registry(units)


def valid_values() -> dict[str, Any]:
    return {
        "docs_issued": 80,
        "docs_issued_prev_year": 100,
        "conferences_total": 10,
        "conferences_in_person": 3,
        "conferences_online": 7,
        "conferences_over_duration": 1,
        "procedures_total": 200,
        "procedures_online": 195,
        "reports_total": 12,
        "reports_over_network": 12,
        "conference_budget_planned": Decimal("150.5"),
        "conference_budget_spent": Decimal("120.25"),
    }


def submission(
    *,
    unit: str = HOAN_KIEM,
    period: str = "2026-Q1",
    report_type: str = "kl226-quarterly",
    values: dict[str, Any] | None = None,
    **changes: Any,
) -> Submission:
    merged = valid_values() if values is None else values
    merged = {**merged, **changes}
    return Submission(
        submission_id="01HQ3Z8K7M2N4P6R8T0V2X4Y6Z",
        report_type=report_type,
        period=period,
        unit=unit,
        values=merged,
    )


def without(code: str) -> dict[str, Any]:
    values = valid_values()
    del values[code]
    return values


def run(
    catalog: Catalog,
    registry: Registry,
    report: Submission,
    received_at: datetime = ON_TIME,
    subject_unit: str | None = None,
) -> Judgement:
    return judge(
        report,
        catalog=catalog,
        registry=registry,
        received_at=received_at,
        subject_unit=subject_unit,
    )


def codes(judgement: Judgement) -> list[str]:
    return [reason.code for reason in judgement.reasons]


def test_a_correct_commune_report_before_the_deadline_is_accepted_on_time(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission())
    assert judgement.accepted
    assert judgement.reasons == []
    assert judgement.timeliness == "on_time"
    assert judgement.province == HA_NOI
    assert judgement.values == valid_values()


def test_accepted_values_keep_their_exact_types(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission())
    assert judgement.values is not None
    assert isinstance(judgement.values["docs_issued"], int)
    assert judgement.values["conference_budget_planned"] == Decimal("150.5")


def test_a_decimal_indicator_accepts_a_whole_number(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(conference_budget_planned=150))
    assert judgement.accepted


def test_a_commune_report_at_235959_vietnam_time_on_the_17th_is_on_time(
    catalog: Catalog, registry: Registry
) -> None:
    received = datetime(2026, 3, 17, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Vietnam
    judgement = run(catalog, registry, submission(), received)
    assert judgement.accepted
    assert judgement.timeliness == "on_time"


def test_a_commune_report_after_the_17th_is_late(catalog: Catalog, registry: Registry) -> None:
    received = datetime(2026, 3, 17, 17, 0, 0, tzinfo=UTC)  # 00:00 on the 18th in Vietnam
    judgement = run(catalog, registry, submission(), received)
    assert judgement.accepted
    assert judgement.timeliness == "late"
    assert judgement.reasons == []


def test_a_late_report_is_still_accepted_with_its_values(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(), datetime(2026, 4, 2, tzinfo=VIETNAM))
    assert judgement.accepted
    assert judgement.timeliness == "late"
    assert judgement.values == valid_values()


def test_a_province_report_on_the_20th_is_on_time_under_the_province_deadline(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(
        catalog, registry, submission(unit=HA_NOI), datetime(2026, 3, 20, 10, tzinfo=VIETNAM)
    )
    assert judgement.accepted
    assert judgement.timeliness == "on_time"
    assert judgement.province == HA_NOI


def test_a_province_report_after_the_25th_is_late(catalog: Catalog, registry: Registry) -> None:
    received = datetime(2026, 3, 25, 17, 0, tzinfo=UTC)  # 00:00 on the 26th in Vietnam
    judgement = run(catalog, registry, submission(unit=HA_NOI), received)
    assert judgement.accepted
    assert judgement.timeliness == "late"


def test_a_commune_report_on_the_20th_is_late_even_though_provinces_have_until_the_25th(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(), datetime(2026, 3, 20, 10, tzinfo=VIETNAM))
    assert judgement.timeliness == "late"


def test_conferences_that_do_not_add_up_break_the_split_rule(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(conferences_in_person=4))
    assert not judgement.accepted
    assert codes(judgement) == ["rule_violated"]
    reason = judgement.reasons[0]
    assert reason.rule == "conferences_split"
    assert reason.indicator == "conferences_in_person"
    assert "11" in reason.message_en
    assert "10" in reason.message_en
    assert judgement.values is None
    assert judgement.timeliness is None


def test_more_online_procedures_than_procedures_breaks_its_bound(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(procedures_online=201))
    assert [reason.rule for reason in judgement.reasons] == ["procedures_online_bounded"]


def test_a_negative_count_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(docs_issued=-1))
    assert not judgement.accepted
    assert codes(judgement) == ["negative_value"]
    assert judgement.reasons[0].indicator == "docs_issued"


def test_a_negative_budget_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(conference_budget_spent=Decimal("-0.01")))
    assert codes(judgement) == ["negative_value"]
    assert judgement.reasons[0].indicator == "conference_budget_spent"


def test_a_fraction_on_an_integer_indicator_is_refused(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(docs_issued=Decimal("1.5")))
    assert not judgement.accepted
    assert codes(judgement) == ["not_an_integer"]
    assert judgement.reasons[0].indicator == "docs_issued"


@pytest.mark.parametrize("raw", ["80", True, [80], {"value": 80}])
def test_a_value_that_is_not_a_number_is_refused(
    catalog: Catalog, registry: Registry, raw: object
) -> None:
    judgement = run(catalog, registry, submission(docs_issued=raw))
    assert not judgement.accepted
    assert codes(judgement) == ["not_a_number"]
    assert judgement.reasons[0].indicator == "docs_issued"


def test_an_absurdly_large_value_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(conference_budget_spent=Decimal("1E+15")))
    assert codes(judgement) == ["value_too_large"]


def test_a_missing_indicator_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(values=without("docs_issued")))
    assert not judgement.accepted
    assert codes(judgement) == ["missing_value"]
    assert judgement.reasons[0].indicator == "docs_issued"


def test_a_null_indicator_counts_as_missing(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(docs_issued=None))
    assert codes(judgement) == ["missing_value"]


def test_an_indicator_not_in_the_form_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(docs_isued=80))
    assert not judgement.accepted
    assert codes(judgement) == ["unknown_indicator"]
    assert judgement.reasons[0].indicator == "docs_isued"


def test_every_bad_value_is_reported_at_once(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(docs_issued=-1, reports_total="12", extra=1))
    assert sorted(codes(judgement)) == ["negative_value", "not_a_number", "unknown_indicator"]


def test_an_unknown_report_type_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(report_type="kl226-monthly"))
    assert not judgement.accepted
    assert codes(judgement) == ["unknown_report_type"]
    assert judgement.province == HA_NOI


def test_an_unknown_unit_is_refused(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(unit="99999"))
    assert not judgement.accepted
    assert codes(judgement) == ["unknown_unit"]
    assert judgement.province is None


@pytest.mark.parametrize(
    "label", ["2026-13", "2026-03", "2026-H1", "2026", "Q1-2026", "2026-Q1\n", "２０２６-Q1"]
)
def test_a_label_that_is_not_a_valid_quarter_is_an_invalid_period(
    catalog: Catalog, registry: Registry, label: str
) -> None:
    judgement = run(catalog, registry, submission(period=label))
    assert not judgement.accepted
    assert codes(judgement) == ["invalid_period"]


def test_a_report_for_a_period_whose_window_has_not_started_is_refused(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(period="2026-Q2"), ON_TIME)
    assert not judgement.accepted
    assert codes(judgement) == ["period_not_open"]


def test_a_period_opens_at_midnight_vietnam_time_on_the_15th(
    catalog: Catalog, registry: Registry
) -> None:
    just_before = datetime(2025, 12, 14, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 14 Dec in Vietnam
    at_opening = datetime(2025, 12, 14, 17, 0, 0, tzinfo=UTC)  # 00:00 on 15 Dec in Vietnam
    assert codes(run(catalog, registry, submission(), just_before)) == ["period_not_open"]
    opened = run(catalog, registry, submission(), at_opening)
    assert opened.accepted
    assert opened.timeliness == "on_time"


@pytest.mark.parametrize("unit", [HOAN_KIEM, HA_NOI])
def test_communes_and_provinces_submit_kl226(
    catalog: Catalog, registry: Registry, unit: str
) -> None:
    judgement = run(catalog, registry, submission(unit=unit))
    assert "level_not_submitting" not in codes(judgement)
    assert judgement.accepted


def test_central_does_not_submit_kl226(catalog: Catalog, registry: Registry) -> None:
    judgement = run(catalog, registry, submission(unit="VN"))
    assert not judgement.accepted
    assert codes(judgement) == ["level_not_submitting"]


def _closed_commune(successor: str | None) -> Unit:
    return Unit(
        code="99990",
        name="Phường Cũ",
        level=Level.COMMUNE,
        kind="phuong",
        parent=HA_NOI,
        valid_from=TWO_LEVEL_START,
        valid_to=date(2026, 1, 1),
        successor=successor,
    )


def test_a_closed_unit_is_refused_naming_its_successor(catalog: Catalog, units: list[Unit]) -> None:
    registry = Registry([*units, _closed_commune(HOAN_KIEM)])
    judgement = run(catalog, registry, submission(unit="99990"))
    assert not judgement.accepted
    assert codes(judgement) == ["unit_closed"]
    reason = judgement.reasons[0]
    assert "00070 Phường Hoàn Kiếm" in reason.message
    assert "00070 Phường Hoàn Kiếm" in reason.message_en
    assert judgement.province == HA_NOI


def test_a_closed_unit_without_a_successor_is_refused(catalog: Catalog, units: list[Unit]) -> None:
    registry = Registry([*units, _closed_commune(None)])
    judgement = run(catalog, registry, submission(unit="99990"))
    assert codes(judgement) == ["unit_closed"]
    assert "successor" not in judgement.reasons[0].message_en


def test_a_closed_unit_report_for_a_period_before_its_closure_is_judged_as_then(
    catalog: Catalog, units: list[Unit]
) -> None:
    registry = Registry([*units, _closed_commune(HOAN_KIEM)])  # closed on 1 January 2026
    received = datetime(2026, 1, 10, 9, tzinfo=VIETNAM)  # after the closure

    judgement = run(catalog, registry, submission(unit="99990", period="2025-Q4"), received)

    assert judgement.accepted
    assert judgement.timeliness == "late"


def test_a_report_published_under_another_units_subject_is_refused(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(), subject_unit="00073")
    assert not judgement.accepted
    assert codes(judgement) == ["subject_mismatch"]
    assert "00073" in judgement.reasons[0].message_en


def test_a_report_published_under_its_own_subject_is_accepted(
    catalog: Catalog, registry: Registry
) -> None:
    judgement = run(catalog, registry, submission(), subject_unit=HOAN_KIEM)
    assert judgement.accepted
