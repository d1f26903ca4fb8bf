"""Suite-wide settings: no ambient configuration leaks into tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from baocao.nats_authority import NatsAuthority
from shared.identity.issuer import LocalIssuer
from tests.ledger import LEDGER

_OWN_VARIABLES = (
    "NATS_URL",
    "DATABASE_URL",
    "BAOCAO_",
    "INTAKE_",
    "VALIDATOR_",
    "AGGREGATOR_",
    "NOTIFIER_",
    "WEB_",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_OWN_VARIABLES):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def identity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One token issuer for the session: its keys, JWKS and revocation list."""
    directory = tmp_path_factory.mktemp("identity")
    LocalIssuer(directory).ensure()
    return directory


@pytest.fixture(scope="session")
def nats_auth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One NATS operator and account for the session; each test's server trusts them."""
    directory = tmp_path_factory.mktemp("nats-auth")
    NatsAuthority(directory)
    return directory


@pytest.fixture(autouse=True)
def _trusted_keys(
    _clean_environment: None,
    identity_dir: Path,
    nats_auth_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Services built in a test trust the session's token issuer and NATS operator; tests
    mint tokens and NATS credentials from them."""
    monkeypatch.setenv("BAOCAO_IDENTITY_DIR", str(identity_dir))
    monkeypatch.setenv("BAOCAO_NATS_AUTH_DIR", str(nats_auth_dir))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if LEDGER.attempts:
        terminalreporter.write_line(
            f"security: {LEDGER.attempts} attempts to get in where not allowed,"
            f" {len(LEDGER.got_in)} got in {LEDGER.got_in or ''}"
        )
