"""What a province's page makes of the services' answers: statuses, counts, reminders,
targets and the approval steps worth offering."""

from __future__ import annotations

from typing import Any

from services.web.domain import province as domain


def _unit(code: str, on_time: int = 0, late: int = 0, level: str = "commune") -> dict[str, Any]:
    missing = 0 if on_time or late else 1
    return {
        "unit": code,
        "name": f"Xã {code}",
        "level": level,
        "completeness": {"expected": 1, "on_time": on_time, "late": late, "missing": missing},
    }


ROLLUP: dict[str, Any] = {
    "unit": "01",
    "name": "Hà Nội",
    "own": _unit("01", level="province"),
    "children": [_unit("00004", on_time=1), _unit("00070", late=1), _unit("00073")],
}
LATE: list[dict[str, Any]] = [
    {
        "unit": "01",
        "level": "province",
        "status": "missing",
        "deadline": "2026-12-25T23:59:59+07:00",
        "received_at": None,
    },
    {
        "unit": "00070",
        "level": "commune",
        "status": "late",
        "deadline": "2026-12-17T23:59:59+07:00",
        "received_at": "2026-12-18T02:00:00Z",
    },
    {
        "unit": "00073",
        "level": "commune",
        "status": "missing",
        "deadline": "2026-12-17T23:59:59+07:00",
        "received_at": None,
    },
]


def test_each_unit_gets_its_status_the_province_own_report_first() -> None:
    rows = domain.unit_statuses(ROLLUP, LATE)
    assert [(r.unit, r.level, r.status) for r in rows] == [
        ("01", "province", "missing"),
        ("00004", "commune", "on_time"),
        ("00070", "commune", "late"),
        ("00073", "commune", "missing"),
    ]


def test_the_late_list_gives_the_received_time_and_deadline() -> None:
    late = domain.unit_statuses(ROLLUP, LATE)[2]
    assert late.received_at == "2026-12-18T02:00:00Z"
    assert late.deadline == "2026-12-17T23:59:59+07:00"


def test_a_unit_on_time_shows_its_level_deadline() -> None:
    rows = domain.unit_statuses(ROLLUP, LATE)
    assert rows[1].deadline == "2026-12-17T23:59:59+07:00"
    assert rows[0].deadline == "2026-12-25T23:59:59+07:00"


def test_the_on_time_rate_is_over_the_units_expected() -> None:
    assert domain.on_time_rate({"expected": 8, "on_time": 2}) == 25.0
    assert domain.on_time_rate({"expected": 0, "on_time": 0}) is None


def test_a_missing_unit_whose_reports_were_refused_is_rejected_with_its_reasons() -> None:
    refused = domain.Standing(
        "00073",
        "rejected",
        received_at="2026-12-10T02:05:00Z",
        reasons=(("Không khớp", "Mismatch"),),
    )
    rejected = domain.unit_statuses(ROLLUP, LATE, {"00073": refused})[3]
    assert rejected.status == "rejected"
    assert rejected.reasons == (("Không khớp", "Mismatch"),)
    assert rejected.received_at == "2026-12-10T02:05:00Z"


def test_the_rollup_decides_whether_a_unit_has_submitted() -> None:
    standings = {
        "00004": domain.Standing("00004", "rejected"),
        "00073": domain.Standing("00073", "on_time"),  # accepted, not yet in the rollup
    }
    rows = domain.unit_statuses(ROLLUP, LATE, standings)
    assert (rows[1].status, rows[3].status) == ("on_time", "missing")


def test_a_unit_with_an_accepted_correction_is_corrected() -> None:
    standing = domain.Standing("00070", "late", corrected=True, received_at="2026-12-19T01:00:00Z")
    corrected = domain.unit_statuses(ROLLUP, LATE, {"00070": standing})[2]
    assert corrected.status == "corrected"
    assert corrected.received_at == "2026-12-18T02:00:00Z"  # the late list's, the report counted


def test_a_refused_correction_keeps_the_status_and_shows_why() -> None:
    standing = domain.Standing("00004", "on_time", reasons=(("Sai", "Wrong"),))
    row = domain.unit_statuses(ROLLUP, LATE, {"00004": standing})[1]
    assert (row.status, row.reasons) == ("on_time", (("Sai", "Wrong"),))


REPORT_STATUS: dict[str, Any] = {
    "units": [
        {
            "unit": "00073",
            "status": "rejected",
            "corrected": False,
            "last_received_at": "2026-12-10T02:05:00Z",
            "latest": {
                "status": "rejected",
                "received_at": "2026-12-10T02:05:00Z",
                "reasons": [
                    {"code": "rule_violated", "message": "Không khớp", "message_en": "Mismatch"}
                ],
            },
        },
        {
            "unit": "00004",
            "status": "on_time",
            "corrected": True,
            "last_received_at": "2026-12-11T02:00:00Z",
            "latest": {"status": "accepted", "received_at": "2026-12-11T02:00:00Z", "reasons": []},
        },
    ]
}


def test_the_validator_report_status_gives_each_unit_standing() -> None:
    found = domain.standings_in(REPORT_STATUS)
    assert found["00073"] == domain.Standing(
        "00073", "rejected", False, "2026-12-10T02:05:00Z", (("Không khớp", "Mismatch"),)
    )
    assert found["00004"].corrected
    assert found["00004"].reasons == ()
    assert domain.standings_in(None) == {}


def test_counts_name_every_status_in_reading_order() -> None:
    counts = domain.counts(domain.unit_statuses(ROLLUP, LATE))
    assert list(counts) == ["on_time", "late", "corrected", "rejected", "missing"]
    assert counts == {"on_time": 1, "late": 1, "corrected": 0, "rejected": 0, "missing": 2}


def test_a_filter_keeps_known_statuses_and_none_means_all() -> None:
    rows = domain.unit_statuses(ROLLUP, LATE)
    wanted = domain.wanted_statuses(["missing", "bogus", "late"])
    assert wanted == ("late", "missing")
    assert [r.unit for r in domain.filtered(rows, wanted)] == ["01", "00070", "00073"]
    assert len(domain.filtered(rows, domain.wanted_statuses([]))) == 4


def _record(notice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "notice": notice,
        "created_at": "2026-12-18T02:00:00Z",
        "cancelled_at": None,
        "deliveries": [
            {"channel": "nats", "status": "sent"},
            {"channel": "email", "status": "pending"},
        ],
        **extra,
    }


DIGEST = {
    "notice_id": "parent+1:kl226-quarterly:2026-Q4:commune:01",
    "kind": "escalation",
    "stage": "parent+1",
    "recipient": "01",
    "unit": "01",
    "late": [{"unit": "00070", "name": "x"}, {"unit": "00073", "name": "y"}],
}
REMINDER = {
    "notice_id": "unit-1:kl226-quarterly:2026-Q4:province:01",
    "kind": "reminder",
    "stage": "unit-1",
    "recipient": "01",
    "unit": "01",
}
REJECTION = {
    "notice_id": "rejection:abc",
    "kind": "rejection",
    "stage": "rejection",
    "recipient": "00073",
    "unit": "00073",
    "reasons": [{"code": "rule_violated", "message": "Không khớp", "message_en": "Mismatch"}],
}


def test_a_digest_counts_as_a_reminder_for_every_unit_it_lists() -> None:
    found = domain.reminders_by_unit([_record(DIGEST), _record(REMINDER), _record(REJECTION)])
    assert set(found) == {"00070", "00073", "01"}
    digest = found["00073"][0]
    assert (digest.stage, digest.recipient, digest.delivered) == ("parent+1", "01", ("nats",))
    assert found["01"][0].kind == "reminder"


def test_rejection_notices_are_reminders_only_when_asked_for() -> None:
    every_kind = ("reminder", "escalation", "rejection")
    found = domain.reminders_by_unit([_record(REJECTION)], every_kind)
    assert found["00073"][0].kind == "rejection"
    assert domain.reminders_by_unit([_record(REJECTION)]) == {}


def test_a_cancelled_notice_says_so() -> None:
    found = domain.reminders_by_unit([_record(REMINDER, cancelled_at="2026-12-18T03:00:00Z")])
    assert found["01"][0].cancelled


def test_the_newest_rejection_notice_of_each_unit_is_its_standing() -> None:
    older = {**REJECTION, "notice_id": "rejection:old", "reasons": []}
    found = domain.rejections_in([_record(REJECTION), _record(older)])
    assert found["00073"].status == "rejected"
    assert found["00073"].reasons == (("Không khớp", "Mismatch"),)


DERIVED: list[dict[str, Any]] = [
    {"code": "docs_reduction_pct", "title": {"vi": "Giảm văn bản", "en": "Cut"}, "target": ">= 15"},
    {"code": "no_target", "title": {"vi": "x", "en": "x"}, "target": None},
]


def test_targets_join_the_province_figure_and_the_units_missing_it() -> None:
    rollup = {
        "derived": {"docs_reduction_pct": {"value": 12.5, "target": ">= 15", "met": False}},
        "targets": {"docs_reduction_pct": {"units_met": 3, "units_missed": 1, "units_unjudged": 2}},
    }
    missing = {"docs_reduction_pct": {"units": [{"unit": "00070", "name": "HK", "value": 10}]}}
    [row] = domain.target_rows(DERIVED, rollup, missing)
    assert (row.code, row.target, row.value, row.met) == (
        "docs_reduction_pct",
        ">= 15",
        12.5,
        False,
    )
    assert (row.units_met, row.units_missed, row.units_unjudged) == (3, 1, 2)
    assert row.missing == (domain.MissingUnit("00070", "HK", 10),)
    assert row.title == ("Giảm văn bản", "Cut")


def test_only_the_approval_steps_worth_taking_are_offered() -> None:
    approver = ("approver", "reader")
    assert domain.approval_actions("open", "01", approver) == ("approve",)
    assert domain.approval_actions("approved", "01", approver) == ("unapprove",)
    assert domain.approval_actions("accepted", "01", approver) == ()
    assert domain.approval_actions("approved", "VN", approver) == ("unapprove", "accept")
    assert domain.approval_actions("accepted", "VN", approver) == ("unaccept",)
    assert domain.approval_actions("open", "01", ("reader",)) == ()
