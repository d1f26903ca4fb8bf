"""Production signs people in through the ministry's OpenID Connect provider: the
authorization code flow with PKCE, state and nonce, against a provider on a real port.

The provider here is a small stand-in that does what OIDC Core and RFC 7636 say a provider
does (discovery, an authorization endpoint that has already authenticated the person, a token
endpoint that checks the code, its redirect URI and the PKCE verifier, a JWKS); the web app runs
in this process, and verifies the provider's access token with the verifier the services use.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from jwt.algorithms import OKPAlgorithm

from baocao.embedded import free_port
from services.web.bootstrap import WebApp
from services.web.settings import WebSettings
from tests.integration.system import eventually

pytestmark = pytest.mark.integration

CLIENT_ID = "baocao-web"


@dataclass
class Provider:
    """Who the provider has signed in, and what it puts in their tokens."""

    url: str
    claims: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "f3c1-officer",
            "name": "Trần Thị Bình",
            "baocao_unit": "01",
            "realm_access": {"roles": ["baocao-reader", "baocao-approver", "offline_access"]},
        }
    )
    wrong_nonce: bool = False
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": "provider-1"})

    def jwks(self) -> dict[str, Any]:
        public = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": "provider-1", "use": "sig", "alg": "EdDSA"}]}

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, str]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return self.jwks()

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            assert query["response_type"] == "code"
            assert query["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": query["nonce"],
                "challenge": query["code_challenge"],
                "redirect_uri": query["redirect_uri"],
            }
            return RedirectResponse(
                f"{query['redirect_uri']}?code={code}&state={query['state']}", status_code=302
            )

        @app.post("/token")
        async def token(
            code: str = Form(),
            code_verifier: str = Form(),
            redirect_uri: str = Form(),
            client_id: str = Form(),
        ) -> JSONResponse:
            issued = self.codes.pop(code, None)  # a code works once
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if (
                issued is None
                or issued["challenge"] != challenge
                or issued["redirect_uri"] != redirect_uri
                or client_id != CLIENT_ID
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            common = {"iss": self.url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
            access = self.sign({**common, **self.claims, "aud": "baocao"})
            nonce = "another" if self.wrong_nonce else issued["nonce"]
            identity = self.sign(
                {
                    **common,
                    "sub": self.claims["sub"],
                    "aud": CLIENT_ID,
                    "nonce": nonce,
                    "name": self.claims.get("name"),
                }
            )
            return JSONResponse(
                {"access_token": access, "id_token": identity, "token_type": "Bearer"}
            )

        return app


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=10.0)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    port = free_port()
    found = Provider(url=f"http://127.0.0.1:{port}")
    async with served(found.app(), port):
        yield found


@pytest.fixture
def web(provider: Provider, tmp_path: Path, identity_dir: Path) -> httpx.AsyncClient:
    settings = WebSettings.model_validate(
        {
            "BAOCAO_IDENTITY_DIR": str(identity_dir),
            "WEB_ACCOUNTS_FILE": str(tmp_path / "people.json"),
            "WEB_SESSION_SECRET_FILE": str(tmp_path / "session.key"),
            "BAOCAO_OIDC_ISSUER": provider.url,
            "BAOCAO_OIDC_JWKS_URL": f"{provider.url}/jwks",
            "WEB_OIDC_CLIENT_ID": CLIENT_ID,
            "WEB_LOCAL_ACCOUNTS": "false",
            "WEB_PUBLIC_URL": "http://web.test",
        }
    )
    app = WebApp(settings).app()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test")


async def round_trip(web: httpx.AsyncClient, next_path: str = "") -> httpx.Response:
    """Out to the provider, which has already authenticated the person, and back."""
    leaving = await web.get("/sign-in/oidc", params={"next": next_path} if next_path else None)
    assert leaving.status_code == 303
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(leaving.headers["location"])
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["location"])
    return await web.get(f"{back.path}?{back.query}")


async def test_a_person_signs_in_through_the_provider_as_the_unit_its_token_names(
    web: httpx.AsyncClient,
) -> None:
    signed = await round_trip(web)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/provinces/01"
    home = await web.get("/")
    assert home.headers["location"] == "/provinces/01"
    page = await web.get("/sign-in")
    assert "Trần Thị Bình" in page.text


async def test_the_sign_in_page_offers_only_the_provider_when_local_accounts_are_off(
    web: httpx.AsyncClient,
) -> None:
    page = await web.get("/sign-in")
    assert 'href="/sign-in/oidc"' in page.text
    assert 'name="password"' not in page.text
    refused = await web.post("/sign-in", data={"username": "x", "password": "y" * 12})
    assert refused.status_code == 403


async def test_the_provider_is_asked_for_a_code_with_pkce_state_and_nonce(
    web: httpx.AsyncClient, provider: Provider
) -> None:
    leaving = await web.get("/sign-in/oidc")
    query = parse_qs(urlsplit(leaving.headers["location"]).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://web.test/sign-in/oidc/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert "openid" in query["scope"][0].split()
    assert "HttpOnly" in leaving.headers["set-cookie"]


async def test_a_callback_this_browser_did_not_start_is_refused(
    web: httpx.AsyncClient, provider: Provider
) -> None:
    async with httpx.AsyncClient() as attacker:  # a sign-in started by someone else
        leaving = await attacker.get(
            f"{provider.url}/authorize?response_type=code&client_id={CLIENT_ID}"
            "&redirect_uri=http://web.test/sign-in/oidc/callback&state=theirs&nonce=n"
            "&code_challenge=c&code_challenge_method=S256"
        )
    back = urlsplit(leaving.headers["location"])
    refused = await web.get(f"{back.path}?{back.query}")
    assert refused.status_code == 401
    assert 'data-reason="oidc_state_mismatch"' in refused.text
    assert (await web.get("/")).headers["location"] == "/sign-in"


async def test_an_id_token_for_another_sign_in_is_refused(
    web: httpx.AsyncClient, provider: Provider
) -> None:
    provider.wrong_nonce = True
    refused = await round_trip(web)
    assert refused.status_code == 401
    assert 'data-reason="oidc_nonce_mismatch"' in refused.text


async def test_a_person_the_provider_gives_no_unit_cannot_sign_in(
    web: httpx.AsyncClient, provider: Provider
) -> None:
    del provider.claims["baocao_unit"]
    refused = await round_trip(web)
    assert refused.status_code == 401
    assert 'data-reason="missing_claims"' in refused.text
