"""Service roles' passwords and URLs: set as SCRAM verifiers, and each service process given its
own role's URL and no other login."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from baocao.stack import SERVICES, Stack
from shared.roles import SERVICE_ROLES, password_statement, scram_verifier, with_credentials

# RFC 7677's example exchange: password "pencil", salt and iteration count from the server.
SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
AUTH_MESSAGE = (
    b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
)
CLIENT_PROOF = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
SERVER_SIGNATURE = base64.b64decode("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def test_a_verifier_checks_the_rfc_7677_exchange_as_the_server_would() -> None:
    verifier = scram_verifier("pencil", salt=SALT)
    mechanism, parameters, keys = verifier.split("$")
    iterations, salt = parameters.split(":")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    client_signature = hmac.digest(stored_key, AUTH_MESSAGE, "sha256")
    client_key = bytes(a ^ b for a, b in zip(CLIENT_PROOF, client_signature, strict=True))

    assert (mechanism, iterations, salt) == ("SCRAM-SHA-256", "4096", "W22ZaJ0SNY7soEsUEjb6gQ==")
    assert hashlib.sha256(client_key).digest() == stored_key  # the client knew the password
    assert hmac.digest(server_key, AUTH_MESSAGE, "sha256") == SERVER_SIGNATURE


def test_setting_a_password_sends_a_salted_verifier_never_the_password() -> None:
    first = password_statement("baocao_intake", "correct horse")
    second = password_statement("baocao_intake", "correct horse")

    assert first.startswith('ALTER ROLE "baocao_intake" PASSWORD \'SCRAM-SHA-256$4096:')
    assert "correct horse" not in first
    assert first != second  # a new salt each time


@pytest.mark.parametrize(
    ("role", "password"),
    [("baocao_intake; DROP TABLE units", "x"), ("Intake", "x"), ("baocao_intake", "mật khẩu")],
)
def test_a_role_name_or_password_that_needs_quoting_is_refused(role: str, password: str) -> None:
    with pytest.raises(ValueError, match=r"role name|printable ASCII"):
        password_statement(role, password)


def test_a_url_with_other_credentials_keeps_host_port_database_and_options() -> None:
    url = with_credentials(
        "postgresql://postgres:old@db.example:5432/baocao?sslmode=require",
        "baocao_notifier",
        "p/w@",
    )

    assert url == "postgresql://baocao_notifier:p%2Fw%40@db.example:5432/baocao?sslmode=require"


def test_each_service_process_gets_its_own_database_url_and_no_other_login(
    tmp_path: Path,
) -> None:
    given = {
        f"{spec.name.upper()}_DATABASE_URL": f"postgresql://{spec.role}@db/baocao"
        for spec in SERVICES
    }
    stack = Stack(
        tmp_path, {"DATABASE_URL": "postgresql://owner@db/baocao", "PATH": "/bin", **given}
    )

    for spec in SERVICES:
        env = stack.service_env(spec.name)
        assert env["DATABASE_URL"] == f"postgresql://{SERVICE_ROLES[spec.name]}@db/baocao"
        assert not {name for name in env if name.endswith("DATABASE_URL")} - {"DATABASE_URL"}
        assert env["PATH"] == "/bin"


def test_without_its_own_url_a_service_falls_back_to_database_url(tmp_path: Path) -> None:
    stack = Stack(tmp_path, {"DATABASE_URL": "postgresql://owner@db/baocao"})

    assert {stack.service_env(s.name)["DATABASE_URL"] for s in SERVICES} == {
        "postgresql://owner@db/baocao"
    }
