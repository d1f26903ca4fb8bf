"""BAOCAO_ENV=production refuses development keys, placeholders, trust auth and plaintext links;
each refusal has a twin that differs in that one thing and starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared import production
from shared.identity.issuer import LocalIssuer
from shared.production import RefusedToStart
from shared.runtime import make_broker
from shared.settings import CommonSettings

PASSWORD = "s3cret-d0-not-echo"
DATABASE_URL = (
    f"postgresql://baocao_intake:{PASSWORD}@baocao-db-rw.baocao.svc.cluster.local:5432/baocao"
    "?sslmode=verify-full&sslrootcert=/etc/baocao/trust/ca-certificates.crt"
)
PLAIN_DATABASE_URL = DATABASE_URL.partition("?")[0]
CREDS = "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n"


def publish_identity(directory: Path, source: Path) -> Path:
    """What ops mount next to a service: the issuer's public JWKS and the revocation list."""
    directory.mkdir(parents=True)
    shutil.copy(source / "jwks.json", directory / "jwks.json")
    (directory / "revocations.json").write_text("{}", encoding="utf-8")
    return directory


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a service deployed as deploy/k8s deploys it."""
    # Relative paths (the development default .run/) resolve in an empty directory, not in
    # a checkout where `make run` left its keys.
    monkeypatch.chdir(tmp_path)
    issuer = tmp_path / "ops-machine"
    LocalIssuer(issuer).ensure()
    identity = publish_identity(tmp_path / "etc" / "identity", issuer)
    creds = tmp_path / "etc" / "nats" / "user.creds"
    creds.parent.mkdir(parents=True)
    creds.write_text(CREDS, encoding="utf-8")
    return {
        "BAOCAO_ENV": "production",
        "NATS_URL": "tls://nats.baocao.svc.cluster.local:4222",
        "NATS_CREDS": str(creds),
        "DATABASE_URL": DATABASE_URL,
        "BAOCAO_IDENTITY_DIR": str(identity),
        "BAOCAO_CLOCK": "system",
    }


def settings(environment: dict[str, str], **changes: str | None) -> CommonSettings:
    values: dict[str, Any] = {**environment, **changes}
    return CommonSettings.model_validate({k: v for k, v in values.items() if v is not None})


def test_a_production_shaped_deployment_starts(deployment: dict[str, str]) -> None:
    assert production.problems(settings(deployment)) == []
    production.check(settings(deployment))


def test_development_never_refuses() -> None:
    """Every default is a developer's: nats://, no credentials, trust auth, keys under .run."""
    defaults = CommonSettings.model_validate({"BAOCAO_IDENTITY_DIR": ".run/identity"})
    assert defaults.environment == "development"
    assert production.problems(defaults) == []
    assert production.problems(CommonSettings.model_validate({"BAOCAO_ENV": "production"}))


REFUSED = {
    "nats-plaintext": ({"NATS_URL": "nats://nats.baocao.svc.cluster.local:4222"}, "tls://"),
    "nats-one-server-plaintext": ({"NATS_URL": "tls://nats-0:4222,nats://nats-1:4222"}, "tls://"),
    "nats-websocket-plaintext": ({"NATS_URL": "ws://nats:8080"}, "NATS_URL must use tls://"),
    "nats-anonymous": ({"NATS_CREDS": None}, "NATS_CREDS is not set"),
    "nats-creds-missing": ({"NATS_CREDS": "/etc/baocao/nats/missing.creds"}, "cannot be read"),
    "nats-development-user": (
        {"NATS_CREDS": ".run/nats/auth/creds/intake.creds"},
        "a development user",
    ),
    "postgres-trust-auth": (
        {"DATABASE_URL": "postgresql://postgres@db:5432/baocao?sslmode=verify-full"},
        "carries no password",
    ),
    "postgres-placeholder-password": (
        {"DATABASE_URL": DATABASE_URL.replace(PASSWORD, "CHANGE-ME")},
        "CHANGE-ME placeholder",
    ),
    "postgres-no-sslmode": ({"DATABASE_URL": PLAIN_DATABASE_URL}, "no sslmode"),
    "postgres-sslmode-prefer": (
        {"DATABASE_URL": DATABASE_URL.replace("verify-full", "prefer")},
        "sslmode=prefer",
    ),
    "postgres-sslmode-disable": (
        {"DATABASE_URL": DATABASE_URL.replace("verify-full", "disable")},
        "sslmode=disable",
    ),
    "identity-development-default": ({"BAOCAO_IDENTITY_DIR": ".run/identity"}, "under .run/"),
    "jwks-over-http": (
        {"BAOCAO_JWKS": "http://issuer.baocao.svc/jwks.json"},
        "BAOCAO_JWKS must be an https",
    ),
    "oidc-jwks-over-http": (
        {
            "BAOCAO_OIDC_ISSUER": "https://sso.example.gov.vn/realms/baocao",
            "BAOCAO_OIDC_JWKS_URL": "http://sso.example.gov.vn/realms/baocao/certs",
        },
        "BAOCAO_OIDC_JWKS_URL must be an https",
    ),
    "jwks-missing": ({"BAOCAO_JWKS": "/etc/baocao/identity/missing.json"}, "cannot be read"),
    "revocations-missing": (
        {"BAOCAO_REVOCATIONS": "/etc/baocao/identity/missing.json"},
        "does not exist",
    ),
    "revocations-development": (
        {"BAOCAO_REVOCATIONS": ".run/identity/revocations.json"},
        "under .run/",
    ),
    "shared-clock": ({"BAOCAO_CLOCK": "shared"}, "BAOCAO_CLOCK must be system"),
}


@pytest.mark.parametrize(("changes", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_production_refuses(
    deployment: dict[str, str], changes: dict[str, str | None], expected: str
) -> None:
    found = production.problems(settings(deployment, **changes))
    assert found
    assert all(expected in problem for problem in found), found


ACCEPTED: dict[str, dict[str, str]] = {
    "postgres-verify-ca": {"DATABASE_URL": DATABASE_URL.replace("verify-full", "verify-ca")},
    "postgres-require": {"DATABASE_URL": DATABASE_URL.replace("verify-full", "require")},
    "postgres-client-certificate": {
        "DATABASE_URL": "postgresql://baocao_intake@db:5432/baocao?sslmode=verify-full"
        "&sslcert=/etc/pg/tls.crt&sslkey=/etc/pg/tls.key"
    },
    "nats-every-server-tls": {"NATS_URL": "tls://nats-0:4222,tls://nats-1:4222"},
    "jwks-over-https": {"BAOCAO_JWKS": "https://issuer.baocao.gov.vn/.well-known/jwks.json"},
    "oidc-jwks-over-https": {
        "BAOCAO_OIDC_ISSUER": "https://sso.example.gov.vn/realms/baocao",
        "BAOCAO_OIDC_JWKS_URL": "https://sso.example.gov.vn/realms/baocao/certs",
    },
}


@pytest.mark.parametrize("changes", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_production_accepts_the_twin(deployment: dict[str, str], changes: dict[str, str]) -> None:
    assert production.problems(settings(deployment, **changes)) == []


def test_the_credentials_template_is_refused(deployment: dict[str, str]) -> None:
    Path(deployment["NATS_CREDS"]).write_text("CHANGE-ME: `baocao nats` output\n")
    (problem,) = production.problems(settings(deployment))
    assert "NATS_CREDS" in problem
    assert "placeholder" in problem


def test_the_issuers_private_keys_beside_a_service_are_refused(
    deployment: dict[str, str],
) -> None:
    # `baocao keys` run in the mounted directory itself: signing-keys/ appears next to the JWKS.
    LocalIssuer(Path(deployment["BAOCAO_IDENTITY_DIR"])).ensure()
    (problem,) = production.problems(settings(deployment))
    assert "signing-keys holds the token issuer's private keys" in problem


def test_a_jwks_with_private_key_material_is_refused(deployment: dict[str, str]) -> None:
    identity = Path(deployment["BAOCAO_IDENTITY_DIR"])
    private_key = LocalIssuer(identity.parent / "elsewhere").ensure()
    (identity / "jwks.json").write_text(json.dumps({"keys": [private_key.private]}))
    (problem,) = production.problems(settings(deployment))
    assert "private key material" in problem
    assert private_key.kid in problem


def test_the_development_identity_under_run_is_refused_even_with_good_files(
    deployment: dict[str, str], tmp_path: Path
) -> None:
    development = publish_identity(
        tmp_path / "checkout" / ".run" / "identity", Path(deployment["BAOCAO_IDENTITY_DIR"])
    )
    found = production.problems(settings(deployment, BAOCAO_IDENTITY_DIR=str(development)))
    assert len(found) == 2  # the JWKS and the revocation list
    assert all(".run/" in problem for problem in found)


def test_every_problem_is_listed_at_once_and_no_secret_is_echoed(
    deployment: dict[str, str],
) -> None:
    bad = settings(
        deployment,
        NATS_URL=f"nats://user:{PASSWORD}@nats:4222",
        NATS_CREDS=None,
        DATABASE_URL=PLAIN_DATABASE_URL,
        BAOCAO_CLOCK="shared",
    )
    with pytest.raises(RefusedToStart) as refused:
        production.check(bad)
    assert len(refused.value.problems) == 4
    message = str(refused.value)
    assert all(problem in message for problem in refused.value.problems)
    assert PASSWORD not in message


def test_a_service_refuses_before_it_reads_a_credential_or_connects(
    deployment: dict[str, str],
) -> None:
    bad = settings(deployment, NATS_URL="nats://127.0.0.1:1", NATS_CREDS="/nonexistent.creds")

    with pytest.raises(RefusedToStart, match="NATS_URL must use tls://"):
        make_broker(bad)
