"""Signing in through the ministry's OpenID Connect provider: the authorization code flow with
PKCE (RFC 7636), state and nonce, as OpenID Connect Core 1.0 describes it.

The provider's access token is what the web app then sends to the services, which already
trust that provider (BAOCAO_OIDC_ISSUER): the person's unit and roles come from its claims,
read by the same verifier the services use, so the web app cannot see a person differently.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from shared.identity.keys import JwksUrl


class OidcFailed(Exception):
    """The provider's answer could not be used; ``reason`` says why, for the log and the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attempt:
    """What the browser carries (in a signed cookie) between leaving and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    name: str


def new_attempt(next_path: str) -> Attempt:
    return Attempt(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        next=next_path,
    )


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OidcClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        scopes: str,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self._metadata: dict[str, Any] | None = None
        self._keys: JwksUrl | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(f"{self.issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                self._metadata = response.json()
            self._keys = JwksUrl(str(self._metadata["jwks_uri"]))
        return self._metadata

    async def authorization_url(self, attempt: Attempt) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scopes,
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": challenge(attempt.verifier),
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def exchange(self, code: str, attempt: Attempt) -> Tokens:
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": attempt.verifier,
        }
        if self._secret:
            form["client_secret"] = self._secret
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.post(metadata["token_endpoint"], data=form)
        except httpx.HTTPError as error:
            raise OidcFailed("provider_unavailable") from error
        if response.status_code != 200:
            raise OidcFailed("code_refused")
        body = response.json()
        if not isinstance(body.get("access_token"), str) or not isinstance(
            body.get("id_token"), str
        ):
            raise OidcFailed("tokens_missing")
        claims = await self._id_claims(body["id_token"], attempt.nonce)
        name = claims.get("name") or claims.get("preferred_username") or claims["sub"]
        return Tokens(access_token=body["access_token"], name=str(name))

    async def _id_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token checked as OIDC Core 3.1.3.7 asks: signature, issuer, audience, expiry,
        and the nonce this browser's attempt sent."""
        await self.metadata()
        assert self._keys is not None
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._keys.key(kid) if isinstance(kid, str) else None
            if key is None:
                raise OidcFailed("unknown_key")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["EdDSA", "ES256", "RS256", "PS256"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            raise OidcFailed("id_token_invalid") from error
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcFailed("nonce_mismatch")
        return claims
