"""Decoding the bytes of a submitted message into a Submission, or the reasons it is not one."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from services.validator.domain.judgement import judge
from shared.catalog import Catalog
from shared.decoding import MAX_REASONS, SHOWN_CHARACTERS, decode_submission, shown
from shared.periods import VIETNAM
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Reason, Submission


def envelope(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "submission_id": "01HQ3Z8K7M2N4P6R8T0V2X4Y6Z",
        "report_type": "kl226-quarterly",
        "period": "2026-Q1",
        "unit": "00070",
        "values": {
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
            "conference_budget_planned": 150.5,
            "conference_budget_spent": 120.25,
        },
    }
    document.update(changes)
    return document


def encode(document: object) -> bytes:
    return json.dumps(document).encode()


def reasons_of(data: bytes) -> list[Reason]:
    decoded = decode_submission(data)
    assert isinstance(decoded, list), f"expected reasons, decoded {decoded!r}"
    return decoded


def test_a_well_formed_body_decodes_to_a_submission() -> None:
    decoded = decode_submission(encode(envelope()))
    assert isinstance(decoded, Submission)
    assert decoded.unit == "00070"
    assert decoded.period == "2026-Q1"
    assert decoded.submitted_at is None


def test_json_fractions_decode_as_exact_decimals_and_whole_numbers_as_ints() -> None:
    decoded = decode_submission(encode(envelope()))
    assert isinstance(decoded, Submission)
    assert decoded.values["conference_budget_planned"] == Decimal("150.5")
    assert isinstance(decoded.values["conference_budget_planned"], Decimal)
    assert decoded.values["docs_issued"] == 80
    assert type(decoded.values["docs_issued"]) is int


def test_a_fraction_that_is_not_exact_in_binary_stays_exact() -> None:
    body = encode(envelope()).replace(b"120.25", b"0.1")
    decoded = decode_submission(body)
    assert isinstance(decoded, Submission)
    assert decoded.values["conference_budget_spent"] == Decimal("0.1")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_refused_as_malformed_json(constant: bytes) -> None:
    body = encode(envelope()).replace(b"120.25", constant)
    assert constant in body
    assert [reason.code for reason in reasons_of(body)] == ["malformed_json"]


def test_a_key_given_twice_in_the_values_is_refused() -> None:
    body = encode(envelope()).replace(b'"docs_issued": 80', b'"docs_issued": 80, "docs_issued": 8')
    reasons = reasons_of(body)
    assert [reason.code for reason in reasons] == ["malformed_json"]
    assert "docs_issued" in reasons[0].message_en


def test_a_key_given_twice_in_the_envelope_is_refused() -> None:
    body = encode(envelope())[:-1] + b', "unit": "00073"}'
    assert [reason.code for reason in reasons_of(body)] == ["malformed_json"]


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"unit": }', b"not json", b"\xff\xfe\x00", b'{"a": 1} trailing', b"{'a': 1}"],
)
def test_a_body_that_is_not_json_is_refused_as_malformed(body: bytes) -> None:
    reasons = reasons_of(body)
    assert [reason.code for reason in reasons] == ["malformed_json"]
    assert reasons[0].message
    assert reasons[0].message_en.startswith("The body is not valid JSON")


def test_an_unknown_envelope_field_is_refused() -> None:
    reasons = reasons_of(encode(envelope(priority="high")))
    assert [reason.code for reason in reasons] == ["invalid_envelope"]
    assert "priority" in reasons[0].message_en
    assert reasons[0].indicator is None


def test_a_missing_envelope_field_is_refused() -> None:
    document = envelope()
    del document["unit"]
    reasons = reasons_of(encode(document))
    assert [reason.code for reason in reasons] == ["invalid_envelope"]
    assert "unit" in reasons[0].message_en


@pytest.mark.parametrize("unit", ["0070", "000070", "vn", "", 70])
def test_a_malformed_unit_code_is_an_invalid_envelope(unit: object) -> None:
    reasons = reasons_of(encode(envelope(unit=unit)))
    assert [reason.code for reason in reasons] == ["invalid_envelope"]


def test_every_envelope_problem_is_reported() -> None:
    reasons = reasons_of(encode(envelope(unit="0070", submission_id="short", extra=1)))
    assert len(reasons) == 3
    assert {reason.code for reason in reasons} == {"invalid_envelope"}


def test_a_body_that_is_not_an_object_is_an_invalid_envelope() -> None:
    reasons = reasons_of(b"[1, 2, 3]")
    assert [reason.code for reason in reasons] == ["invalid_envelope"]


def test_a_naive_submitted_at_is_refused() -> None:
    reasons = reasons_of(encode(envelope(submitted_at="2026-03-10T09:00:00")))
    assert [reason.code for reason in reasons] == ["invalid_envelope"]


def test_an_aware_submitted_at_is_kept() -> None:
    decoded = decode_submission(encode(envelope(submitted_at="2026-03-10T09:00:00+07:00")))
    assert isinstance(decoded, Submission)
    assert decoded.submitted_at is not None
    assert decoded.submitted_at.utcoffset() is not None


def test_a_decoded_fraction_on_an_integer_indicator_is_judged_not_an_integer() -> None:
    document = envelope()
    document["values"]["docs_issued"] = 1.5
    decoded = decode_submission(encode(document))
    assert isinstance(decoded, Submission)
    judgement = judge(
        decoded,
        catalog=Catalog.load(),
        registry=Registry(units_from_package()),
        received_at=datetime(2026, 3, 10, 9, tzinfo=VIETNAM),
    )
    assert [reason.code for reason in judgement.reasons] == ["not_an_integer"]


@pytest.mark.parametrize(
    "escaped",
    [
        '"report_type": "\\u0000"',
        '"values": {"\\u0000": 1}',
        '"values": {"docs_issued": "\\ud800"}',
        '"values": {"\\udfff": 1}',
    ],
)
def test_text_no_database_can_store_is_malformed(escaped: str) -> None:
    body = json.dumps(envelope()).replace('"report_type": "kl226-quarterly"', escaped, 1)
    if "report_type" not in escaped:
        body = json.dumps({**envelope(), "values": {}}).replace('"values": {}', escaped, 1)

    decoded = decode_submission(body.encode())

    assert isinstance(decoded, list)
    assert decoded[0].code == "malformed_json"


def test_vietnamese_text_decodes() -> None:
    body = json.dumps({**envelope(), "values": {"Số văn bản đã ban hành": 1}}, ensure_ascii=False)

    assert isinstance(decode_submission(body.encode()), Submission)


def test_a_long_field_name_is_shown_cut_short() -> None:
    reasons = reasons_of(encode(envelope(**{"x" * 100_000: 1})))

    assert [reason.code for reason in reasons] == ["invalid_envelope"]
    assert "x" * SHOWN_CHARACTERS + "…: Extra inputs" in reasons[0].message_en
    assert len(reasons[0].message) < 200
    assert len(reasons[0].message_en) < 200


def test_a_long_key_given_twice_is_shown_cut_short() -> None:
    key = "k" * 500_000
    body = f'{{"{key}": 1, "{key}": 2}}'.encode()

    reasons = reasons_of(body)

    assert [reason.code for reason in reasons] == ["malformed_json"]
    assert len(reasons[0].message) < 300
    assert len(reasons[0].message_en) < 300


def test_invisible_characters_in_a_field_name_are_shown_escaped() -> None:
    reasons = reasons_of(encode(envelope(**{"note\r\nBaocao-Reason: forged\u202e\x1b": 1})))

    assert [reason.code for reason in reasons] == ["invalid_envelope"]
    assert reasons[0].message_en.startswith("note\\r\\nBaocao-Reason: forged\\u202e\\x1b: ")
    assert reasons[0].message.isprintable()
    assert reasons[0].message_en.isprintable()


def test_shown_names_keep_vietnamese_as_written_decomposed_or_not() -> None:
    decomposed = unicodedata.normalize("NFD", "Số văn bản")

    assert shown(decomposed) == decomposed
    assert shown("Số văn bản") == "Số văn bản"


def test_at_most_fifty_reasons_are_listed_and_the_last_counts_the_rest() -> None:
    body = encode(envelope(unit="0070", **{f"extra{i}": i for i in range(100_000)}))

    reasons = reasons_of(body)

    assert len(reasons) == MAX_REASONS == 50
    assert [reason.code for reason in reasons[:-1]] == ["invalid_envelope"] * 49
    assert reasons[0].message_en.startswith("unit: ")  # the known fields' problems come first
    assert reasons[-1].code == "too_many_reasons"
    # 100,001 problems, 49 listed.
    assert reasons[-1].message_en.startswith("99952 more problems not listed")
    assert reasons[-1].message.startswith("Còn 99952 lỗi khác")


def test_fifty_problems_are_all_listed() -> None:
    reasons = reasons_of(encode(envelope(**{f"extra{i}": i for i in range(50)})))

    assert [reason.code for reason in reasons] == ["invalid_envelope"] * 50
    assert reasons[-1].message_en == "extra49: Extra inputs are not permitted"


def test_an_integer_too_long_to_read_is_malformed_and_the_reason_says_why() -> None:
    body = encode(envelope()).replace(b'"docs_issued": 80', b'"docs_issued": -' + b"9" * 5000)

    reasons = reasons_of(body)

    assert [reason.code for reason in reasons] == ["malformed_json"]
    assert "an integer of 5000 digits" in reasons[0].message_en
    assert "sys." not in reasons[0].message_en


@pytest.mark.parametrize("sign", [b"", b"-"])
def test_an_integer_of_4300_digits_is_still_read(sign: bytes) -> None:
    body = encode(envelope()).replace(b'"docs_issued": 80', b'"docs_issued": ' + sign + b"9" * 4300)

    decoded = decode_submission(body)

    assert isinstance(decoded, Submission)
    assert abs(decoded.values["docs_issued"]) == 10**4300 - 1
