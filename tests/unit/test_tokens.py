"""Bearer tokens binding a caller to one unit code."""

from __future__ import annotations

import pytest

from shared import tokens
from shared.tokens import issue, verify

SECRET = "a deployment secret"


@pytest.mark.parametrize("unit", ["VN", "01", "00070"])
def test_a_token_verifies_as_the_unit_it_was_issued_for(unit: str) -> None:
    assert verify(issue(unit, SECRET), SECRET) == unit


def test_a_token_names_its_unit_before_the_signature() -> None:
    token = issue("00070", SECRET)
    unit, dot, signature = token.partition(".")
    assert (unit, dot) == ("00070", ".")
    assert signature


def test_issuing_twice_gives_the_same_token() -> None:
    assert issue("00070", SECRET) == issue("00070", SECRET)


def test_a_token_for_one_commune_does_not_verify_as_another() -> None:
    signature = issue("00070", SECRET).partition(".")[2]
    assert verify(f"00073.{signature}", SECRET) is None


def test_a_communes_signature_does_not_verify_as_its_province() -> None:
    signature = issue("00070", SECRET).partition(".")[2]
    assert verify(f"01.{signature}", SECRET) is None


def test_tokens_for_different_units_differ() -> None:
    assert issue("00070", SECRET).partition(".")[2] != issue("00073", SECRET).partition(".")[2]


def test_a_token_with_a_tampered_signature_is_refused() -> None:
    token = issue("00070", SECRET)
    last = token[-1]
    tampered = token[:-1] + ("A" if last != "A" else "B")
    assert verify(tampered, SECRET) is None


def test_a_token_with_extra_characters_is_refused() -> None:
    assert verify(issue("00070", SECRET) + "x", SECRET) is None


def test_a_token_issued_under_another_secret_is_refused() -> None:
    assert verify(issue("00070", "another secret"), SECRET) is None


@pytest.mark.parametrize("token", ["", "00070", "00070.", ".abc", "garbage", "0070.abc", "vn.abc"])
def test_a_malformed_token_is_refused(token: str) -> None:
    assert verify(token, SECRET) is None


def test_a_token_with_non_ascii_characters_is_refused_rather_than_raising() -> None:
    assert verify("00070.chữký", SECRET) is None


@pytest.mark.parametrize("unit", ["", "1", "001", "0070", "000700", "vn", "AB", "00070\n"])
def test_issuing_for_something_that_is_not_a_unit_code_is_an_error(unit: str) -> None:
    with pytest.raises(ValueError, match="not a unit code"):
        issue(unit, SECRET)


def test_the_caller_is_the_unit_of_a_genuine_bearer_token() -> None:
    token = tokens.issue("00070", "s3cret")

    assert tokens.caller(f"Bearer {token}", "s3cret") == "00070"
    assert tokens.caller(f"bearer  {token}", "s3cret") == "00070"
    with pytest.raises(tokens.Unauthorized) as missing:
        tokens.caller("", "s3cret")
    assert missing.value.reason == "missing_token"
    with pytest.raises(tokens.Unauthorized) as forged:
        tokens.caller(f"Bearer {token}", "another secret")
    assert forged.value.reason == "invalid_token"
