"""Local accounts: who may be made, how passwords are checked, and how guessing is slowed."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from services.web.adapters.account_file import AccountFile
from services.web.adapters.passwords import Argon2Passwords
from services.web.domain.accounts import MAX_FAILURES, PAUSE, AccountError
from services.web.usecases.signing_in import SigningIn, SignInRefused
from shared.identity import Role

PASSWORD = "mật khẩu đủ dài 2026"


class FixedTokens:
    def __init__(self) -> None:
        self.minted: list[str] = []

    def mint(self, account: object) -> str:
        username = getattr(account, "username", "?")
        self.minted.append(username)
        return f"token-for-{username}"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path: Path, clock: Clock) -> SigningIn:
    signing_in = SigningIn(
        accounts=AccountFile(tmp_path / "people.json"),
        # argon2id still, at a cost that keeps the unit tier fast (production: RFC 9106's).
        passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),
        tokens=FixedTokens(),
        now=clock,
    )
    signing_in.create("hanoi", "01", frozenset({Role.READER}), "Sở Nội vụ Hà Nội", PASSWORD)
    return signing_in


def test_a_person_signs_in_with_the_right_password_and_gets_a_token_for_their_unit(
    accounts: SigningIn,
) -> None:
    signed = accounts.sign_in("hanoi", PASSWORD)
    assert signed.account.unit == "01"
    assert signed.account.roles == frozenset({Role.READER})
    assert signed.token == "token-for-hanoi"


def test_the_username_is_case_insensitive_and_the_password_is_compared_as_nfc(
    accounts: SigningIn,
) -> None:
    nfd = unicodedata.normalize("NFD", PASSWORD)  # as some keyboards type it
    assert nfd != PASSWORD
    assert accounts.sign_in(" HaNoi ", nfd).account.username == "hanoi"


def test_a_wrong_password_and_an_unknown_user_are_refused_alike(accounts: SigningIn) -> None:
    with pytest.raises(SignInRefused) as wrong:
        accounts.sign_in("hanoi", "not the password")
    with pytest.raises(SignInRefused) as unknown:
        accounts.sign_in("nobody", "not the password")
    assert wrong.value.reason == unknown.value.reason == "wrong_credentials"


def test_the_production_hasher_follows_rfc_9106s_recommendation() -> None:
    hasher = PasswordHasher()
    assert hasher.memory_cost >= 64 * 1024  # KiB
    assert hasher.time_cost >= 3
    assert Argon2Passwords().hash(PASSWORD).startswith("$argon2id$")


def test_passwords_are_stored_as_argon2id_hashes_never_in_clear(
    accounts: SigningIn, tmp_path: Path
) -> None:
    stored = (tmp_path / "people.json").read_text(encoding="utf-8")
    assert PASSWORD not in stored
    assert "$argon2id$" in stored
    assert (tmp_path / "people.json").stat().st_mode & 0o777 == 0o600


def test_repeated_failures_pause_the_account_then_it_opens_again(
    accounts: SigningIn, clock: Clock
) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            accounts.sign_in("hanoi", "guess")
    with pytest.raises(SignInRefused) as paused:
        accounts.sign_in("hanoi", PASSWORD)  # even the right password waits
    assert paused.value.reason == "paused"
    clock.now += PAUSE + timedelta(seconds=1)
    assert accounts.sign_in("hanoi", PASSWORD).account.username == "hanoi"


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(accounts: SigningIn) -> None:
    accounts.set_disabled("hanoi", True)
    with pytest.raises(SignInRefused):
        accounts.sign_in("hanoi", PASSWORD)
    assert not accounts.active("hanoi")
    assert accounts.refresh("hanoi") is None


@pytest.mark.parametrize(
    ("username", "unit", "password", "complaint"),
    [
        ("Hà Nội", "01", PASSWORD, "username"),
        ("hcm", "7", PASSWORD, "unit code"),
        ("hcm", "79", "short", "at least 12"),
        ("hcm", "79", "my-hcm-password-2026", "may not contain the username"),
        ("hanoi", "01", PASSWORD, "exists"),
    ],
)
def test_accounts_that_cannot_be_made_say_why(
    accounts: SigningIn, username: str, unit: str, password: str, complaint: str
) -> None:
    with pytest.raises(AccountError, match=complaint):
        accounts.create(username, unit, frozenset({Role.READER}), "x", password)


def test_an_account_needs_a_role(accounts: SigningIn) -> None:
    with pytest.raises(AccountError, match="role"):
        accounts.create("hcm", "79", frozenset(), "x", PASSWORD)


def test_a_changed_password_replaces_the_old_one(accounts: SigningIn) -> None:
    accounts.set_password("hanoi", "một mật khẩu mới hơn")
    with pytest.raises(SignInRefused):
        accounts.sign_in("hanoi", PASSWORD)
    assert accounts.sign_in("hanoi", "một mật khẩu mới hơn").token
