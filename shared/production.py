"""What ``BAOCAO_ENV=production`` refuses to start with: development keys, default secrets,
trust authentication, plaintext links.

:func:`problems` lists everything wrong at once, so an operator fixes a deployment in one round
rather than one crash per mistake; :func:`check` raises with that list, and
``shared.runtime.Runtime.open`` calls it before any connection is made. Development never
refuses. Besides settings it only looks at the small files they point to (the NATS credentials,
the trusted JWKS, the revocation list) and whether the issuer's private keys sit beside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePath
from urllib.parse import parse_qs, unquote, urlsplit

from shared.identity.config import jwks_path, revocations_path
from shared.settings import CommonSettings

# What deploy/k8s puts where a real secret belongs until ops replace it.
PLACEHOLDER = "CHANGE-ME"
# Where `make run` keeps its keys, passwords and users; nothing there is fit for production.
DEVELOPMENT_DIRECTORY = ".run"
# Where `baocao keys` keeps the issuer's private keys (shared/identity/issuer.py): only the minting
# machine needs them, the services verify with the public JWKS.
SIGNING_KEYS_DIRECTORY = "signing-keys"
# `require` encrypts but trusts any certificate; `verify-ca` and `verify-full` check it.
TLS_SSL_MODES = frozenset({"require", "verify-ca", "verify-full"})
# JWK members only a private or symmetric key has (RFC 7518 section 6, RFC 8037 section 2).
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class RefusedToStart(RuntimeError):
    """A production process configured like a developer's machine."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"BAOCAO_ENV=production refuses to start:\n{listed}")


def check(settings: CommonSettings) -> None:
    """Raise :class:`RefusedToStart` listing every problem, if there is any."""
    found = problems(settings)
    if found:
        raise RefusedToStart(found)


def problems(settings: CommonSettings) -> list[str]:
    """Why these settings are unfit for production; empty when they are fit, or in development.

    Messages name settings and paths, never a secret's value.
    """
    if settings.environment != "production":
        return []
    return [
        *_nats(settings),
        *_database(settings),
        *_identity(settings),
        *_clock(settings),
    ]


def _nats(settings: CommonSettings) -> Iterator[str]:
    servers = [server.strip() for server in settings.nats_url.split(",") if server.strip()]
    schemes = sorted({urlsplit(server).scheme or "(none)" for server in servers})
    if not servers or schemes != ["tls"]:
        # Only the schemes: a NATS URL may carry a user and password.
        yield (
            f"NATS_URL must use tls:// for every server (has {', '.join(schemes)}://):"
            " credentials and reports must not cross the network in clear"
        )
    if not settings.nats_creds:
        yield "NATS_CREDS is not set: each service connects as its own NATS user"
        return
    creds = Path(settings.nats_creds)
    if _is_development(creds):
        yield f"NATS_CREDS {creds} is under {DEVELOPMENT_DIRECTORY}/: a development user"
        return
    try:
        text = creds.read_text(encoding="utf-8")
    except OSError as error:
        yield f"NATS_CREDS {creds} cannot be read ({error.strerror or type(error).__name__})"
        return
    if PLACEHOLDER in text:
        yield f"NATS_CREDS {creds} is still the template's {PLACEHOLDER} placeholder"


def _database(settings: CommonSettings) -> Iterator[str]:
    url = urlsplit(settings.database_url)
    query = parse_qs(url.query)
    password = unquote(url.password or "") or _last(query, "password")
    # A password file or a client certificate authenticates as well as a password does.
    if not (password or _last(query, "passfile") or _last(query, "sslcert")):
        yield (
            "DATABASE_URL carries no password (nor passfile or sslcert): trust or peer"
            " authentication is for a developer's machine"
        )
    elif PLACEHOLDER in password:
        yield f"DATABASE_URL's password is still the template's {PLACEHOLDER} placeholder"
    mode = _last(query, "sslmode")
    if mode not in TLS_SSL_MODES:
        yield (
            f"DATABASE_URL must ask for TLS with sslmode=verify-full (or verify-ca, require);"
            f" it has {f'sslmode={mode}' if mode else 'no sslmode'}"
        )


def _identity(settings: CommonSettings) -> Iterator[str]:
    jwks = jwks_path(settings)
    if jwks.startswith(("https://", "http://")):
        if not jwks.startswith("https://"):
            yield "BAOCAO_JWKS must be an https:// URL: keys fetched in clear can be replaced"
    else:
        yield from _jwks_file(Path(jwks))
    if settings.oidc_jwks_url and not settings.oidc_jwks_url.startswith("https://"):
        yield "BAOCAO_OIDC_JWKS_URL must be an https:// URL: keys fetched in clear can be replaced"
    revocations = revocations_path(settings)
    if _is_development(revocations):
        yield (
            f"the revocation list {revocations} is under {DEVELOPMENT_DIRECTORY}/: set"
            " BAOCAO_IDENTITY_DIR (or BAOCAO_REVOCATIONS) to the production one"
        )
    elif not revocations.is_file():
        yield (
            f"the revocation list {revocations} does not exist: a revoked token would be"
            ' accepted (an empty list is the file "{}")'
        )
    directories = {Path(settings.identity_dir)}
    if not jwks.startswith(("https://", "http://")):
        directories.add(Path(jwks).parent)
    for directory in sorted(directories):
        if (directory / SIGNING_KEYS_DIRECTORY).exists():
            yield (
                f"{directory / SIGNING_KEYS_DIRECTORY} holds the token issuer's private keys"
                " next to a service: services need only the public JWKS"
            )


def _jwks_file(path: Path) -> Iterator[str]:
    if _is_development(path):
        yield (
            f"the trusted JWKS {path} is under {DEVELOPMENT_DIRECTORY}/: the development"
            " issuer's keys; set BAOCAO_IDENTITY_DIR (or BAOCAO_JWKS) to the production ones"
        )
        return
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        yield f"the trusted JWKS {path} cannot be read ({error.strerror or type(error).__name__})"
        return
    except ValueError:
        yield f"the trusted JWKS {path} is not JSON"
        return
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        yield f'the trusted JWKS {path} has no "keys" list'
        return
    private = [
        str(key.get("kid", "?"))
        for key in keys
        if isinstance(key, dict) and PRIVATE_JWK_MEMBERS & key.keys()
    ]
    if private:
        yield (
            f"the trusted JWKS {path} holds private key material ({', '.join(private)}):"
            " publish public keys only"
        )


def _clock(settings: CommonSettings) -> Iterator[str]:
    if settings.clock != "system":
        yield "BAOCAO_CLOCK must be system: the shared clock is for tests and simulated rounds"


def _is_development(path: PurePath) -> bool:
    return DEVELOPMENT_DIRECTORY in path.parts


def _last(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key)
    return values[-1] if values else ""
