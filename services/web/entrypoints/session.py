"""The session cookie and CSRF tokens.

The cookie is signed (itsdangerous, HMAC-SHA1 over a key of 32 random bytes) and carries the
person's unit, roles and bearer token: HttpOnly, so no script reads it; SameSite=Lax, so no
other site's form sends it; Secure with the ``__Host-`` prefix wherever the app is on https.
Every form and every htmx request carries the session's CSRF token besides, compared in
constant time. Signing, not encrypting, is enough: the cookie holds nothing its owner may not
see, and the token in it is theirs.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.identity import Caller, Role

CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
LANGUAGE_COOKIE = "baocao_lang"
# A token this close to its end is replaced before the request goes on.
REFRESH_BEFORE_SECONDS = 300


@dataclass(frozen=True)
class Session:
    username: str
    unit: str
    roles: tuple[str, ...]
    name: str
    token: str
    csrf: str
    started: int
    # "local": a local account, whose token the web app renews; "oidc": the provider's token,
    # and the session ends with it (signing in again is one redirect while the provider's
    # own session lasts).
    source: str = "local"

    @property
    def caller(self) -> Caller:
        return Caller(
            subject=f"person:{self.username}",
            unit=self.unit,
            roles=frozenset(Role(r) for r in self.roles),
        )

    def _claims(self) -> dict[str, Any]:
        # The services verify the token; the web app only reads what it says of itself.
        claims: dict[str, Any] = jwt.decode(self.token, options={"verify_signature": False})
        return claims

    def token_expires(self) -> int:
        return int(self._claims().get("exp", 0))

    def token_subject(self) -> str:
        """The person as the services know them: the token's ``sub`` (``person:<username>``
        for a local account, the provider's subject otherwise)."""
        return str(self._claims().get("sub", ""))

    def token_nearly_expired(self, now: float | None = None) -> bool:
        return self.token_expires() - (now or time.time()) < REFRESH_BEFORE_SECONDS

    def token_expired(self, now: float | None = None) -> bool:
        return self.token_expires() <= (now or time.time())


def session_secret(path: Path) -> bytes:
    """The signing key, made on first start (mode 0600) when none is given."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(secrets.token_bytes(32))
        temporary.chmod(0o600)
        temporary.replace(path)
    return path.read_bytes()


class SessionCookies:
    def __init__(self, secret: bytes, *, secure: bool, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="baocao.web.session")
        self._sign_in = URLSafeTimedSerializer(secret, salt="baocao.web.sign-in")
        self._oidc = URLSafeTimedSerializer(secret, salt="baocao.web.oidc")
        self.secure = secure
        self.max_age = max_age_seconds
        self.name = "__Host-baocao" if secure else "baocao_session"
        self.sign_in_name = "__Host-baocao-signin" if secure else "baocao_signin"
        self.oidc_name = "__Host-baocao-oidc" if secure else "baocao_oidc"

    def dump(self, session: Session) -> str:
        return self._serializer.dumps(asdict(session))

    def load(self, value: str | None) -> Session | None:
        if not value:
            return None
        try:
            data: dict[str, Any] = self._serializer.loads(value, max_age=self.max_age)
            return Session(**{**data, "roles": tuple(data["roles"])})
        except (BadSignature, TypeError, KeyError):
            return None

    def cookie_options(self, max_age: int | None = None) -> dict[str, Any]:
        return {
            "max_age": self.max_age if max_age is None else max_age,
            "httponly": True,
            "secure": self.secure,
            "samesite": "lax",
            "path": "/",
        }

    # Between leaving for the provider and coming back: state, nonce and PKCE verifier.
    def dump_attempt(self, attempt: dict[str, str]) -> str:
        return self._oidc.dumps(attempt)

    def load_attempt(self, value: str | None) -> dict[str, str] | None:
        if not value:
            return None
        try:
            attempt = self._oidc.loads(value, max_age=600)
        except BadSignature:
            return None
        return attempt if isinstance(attempt, dict) else None

    # The sign-in form has no session yet: its CSRF token is a signed cookie of its own.
    def new_sign_in_token(self) -> tuple[str, str]:
        """(cookie value, form value)."""
        token = secrets.token_urlsafe(24)
        return self._sign_in.dumps(token), token

    def sign_in_token_matches(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted:
            return False
        try:
            expected = self._sign_in.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return isinstance(expected, str) and hmac.compare_digest(expected, submitted)


def new_session(
    username: str,
    unit: str,
    roles: frozenset[Role],
    name: str,
    token: str,
    source: str = "local",
) -> Session:
    return Session(
        source=source,
        username=username,
        unit=unit,
        roles=tuple(sorted(r.value for r in roles)),
        name=name,
        token=token,
        csrf=secrets.token_urlsafe(24),
        started=int(time.time()),
    )


def csrf_matches(session: Session, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(session.csrf, submitted)
