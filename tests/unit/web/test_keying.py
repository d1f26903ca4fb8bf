"""Keying a commune's paper report on its behalf, as the web app decides it: who is offered the
form, the reason as stored, and how a token's subject is shown. The services decide the rest."""

from __future__ import annotations

import unicodedata

import pytest

from services.web.domain import keying

SUBMITTER = frozenset({"submitter"})


@pytest.mark.parametrize(
    ("person_unit", "roles", "unit", "offered"),
    [
        ("01", SUBMITTER, "00004", True),  # a province's submitter
        ("VN", SUBMITTER, "00004", True),  # Central's
        ("79", SUBMITTER, "00004", True),  # another province's: intake refuses it
        ("01", frozenset({"reader", "approver"}), "00004", False),  # no submitter role
        ("00070", SUBMITTER, "00004", False),  # a commune keys no one else's report
        ("01", SUBMITTER, "01", False),  # the province's own report is its own
    ],
)
def test_the_keying_form_is_offered_to_submitters_above_communes(
    person_unit: str, roles: frozenset[str], unit: str, offered: bool
) -> None:
    assert keying.may_key(person_unit, roles, unit) is offered


def test_a_reason_is_stored_trimmed_in_nfc() -> None:
    typed = unicodedata.normalize("NFD", "  Xã gửi báo cáo giấy ngày 08/12 do mất kết nối \n")
    read = keying.read_reason(typed)
    assert read.problem is None
    assert read.text == "Xã gửi báo cáo giấy ngày 08/12 do mất kết nối"
    assert unicodedata.is_normalized("NFC", read.text)


def test_a_reason_is_required_and_at_most_500_characters_once_composed() -> None:
    assert keying.read_reason("   ").problem == "reason_missing"
    assert keying.read_reason("ệ" * 501).problem == "reason_too_long"
    # 500 letters typed decomposed (1,000 code points) are 500 once composed
    decomposed = unicodedata.normalize("NFD", "ệ" * 500)
    assert len(decomposed) > 500
    assert keying.read_reason(decomposed).problem is None


def test_the_envelopes_mark_names_the_keying_unit_person_and_reason() -> None:
    keyer = keying.Keyer("01", "person:hanoi")
    assert keying.keyed_by(keyer, "Mất kết nối") == {
        "unit": "01",
        "person": "person:hanoi",
        "reason": "Mất kết nối",
    }


def test_a_local_accounts_subject_shows_as_its_username() -> None:
    assert keying.person_shown("person:hanoi") == "hanoi"
    assert keying.person_shown("8f14e45f-ceea-467f") == "8f14e45f-ceea-467f"
