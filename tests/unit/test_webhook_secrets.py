"""Webhook secrets are encrypted at rest under a key kept out of the database; the key comes from
NOTIFIER_SECRETS_KEY, or on a developer's machine from a file generated once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.notifier.adapters.contacts import SecretCipher, SecretUnreadable
from services.notifier.adapters.secrets_key import load_keys
from services.notifier.settings import NotifierSettings

SECRET = "webhook-secret-for-tests-0123456789"
KEY = Fernet.generate_key().decode()
OLD_KEY = Fernet.generate_key().decode()


def test_a_sealed_secret_opens_to_the_same_secret_and_does_not_contain_it() -> None:
    cipher = SecretCipher([KEY])

    stored = cipher.seal(SECRET)

    assert stored.startswith("v1:")
    assert SECRET not in stored
    assert SECRET[:8] not in stored
    assert cipher.unseal(stored) == SECRET
    assert cipher.seal(SECRET) != stored  # a fresh IV each time: equal secrets look different


def test_a_secret_stored_in_plaintext_before_encryption_is_still_read() -> None:
    assert SecretCipher([KEY]).unseal(SECRET) == SECRET


def test_a_secret_sealed_under_another_key_is_unreadable() -> None:
    stored = SecretCipher([OLD_KEY]).seal(SECRET)

    with pytest.raises(SecretUnreadable):
        SecretCipher([KEY]).unseal(stored)
    with pytest.raises(SecretUnreadable):
        SecretCipher([KEY]).unseal("v1:not-a-token")


def test_a_new_key_in_front_seals_while_the_old_one_behind_still_opens() -> None:
    before_rotation = SecretCipher([OLD_KEY]).seal(SECRET)
    rotated = SecretCipher([KEY, OLD_KEY])

    after_rotation = rotated.seal(SECRET)

    assert rotated.unseal(before_rotation) == SECRET
    assert SecretCipher([KEY]).unseal(after_rotation) == SECRET


def test_without_a_configured_key_one_is_generated_once_into_a_private_file(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "run" / "notifier-secrets.key"

    first = load_keys(None, key_file)
    again = load_keys("", key_file)

    assert first == again
    assert len(first) == 1
    Fernet(first[0])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind


def test_configured_keys_are_used_and_no_file_is_made(tmp_path: Path) -> None:
    key_file = tmp_path / "notifier-secrets.key"

    assert load_keys(f" {KEY} , {OLD_KEY}", key_file) == [KEY, OLD_KEY]
    assert not key_file.exists()


def test_a_configured_key_that_is_no_fernet_key_is_refused_without_being_repeated(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="key 2 is not a Fernet key") as refused:
        load_keys(f"{KEY},short-and-secret", tmp_path / "k")

    assert "short-and-secret" not in str(refused.value)


def test_production_refuses_to_start_without_a_secrets_key() -> None:
    with pytest.raises(ValidationError, match="NOTIFIER_SECRETS_KEY must be set"):
        NotifierSettings(BAOCAO_ENV="production")

    production = NotifierSettings(BAOCAO_ENV="production", NOTIFIER_SECRETS_KEY=KEY)
    assert production.webhook_policy().https_only
    assert KEY not in repr(production)


def test_development_allows_http_and_reads_the_allow_list() -> None:
    settings = NotifierSettings(NOTIFIER_WEBHOOK_ALLOW="127.0.0.1/32,hook.test")

    policy = settings.webhook_policy()

    assert not policy.https_only
    assert policy.allowed_hosts == frozenset({"hook.test"})
    assert [str(n) for n in policy.allowed_networks] == ["127.0.0.1/32"]
    with pytest.raises(ValidationError, match="not a CIDR or a host name"):
        NotifierSettings(NOTIFIER_WEBHOOK_ALLOW="10.0.0.1/8")
