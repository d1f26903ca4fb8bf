"""What the web app's unit tests share: people's tokens as the web app holds them, the services
faked behind an ``httpx.MockTransport`` answering as their APIs do, and clients of the real app
signed in as a given person (through a session cookie made as sign-in makes it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
import jwt

from baocao.accounts_cli import signing_in
from services.web.adapters.services_api import ServicesApi
from services.web.bootstrap import WebApp
from services.web.entrypoints.session import new_session
from services.web.settings import WebSettings
from shared.identity import Role

PASSWORD = "a long enough password 1"
CSRF_HEADER_FOR_TESTS = "X-Test-Csrf"  # where a test finds the session's CSRF token

Browser = Callable[[str], httpx.AsyncClient]


def token_for(unit: str, subject: str | None = None) -> str:
    """A person's bearer token as the web app holds it: only its expiry and subject (and, for
    the fakes, its unit) are read there; the services verify the rest."""
    claims = {"sub": subject or f"person:{unit}", "unit": unit, "exp": int(time.time()) + 3600}
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


def subject_of(request: httpx.Request) -> str:
    """The person a faked service sees asking (the token's subject)."""
    token = request.headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def unit_of(request: httpx.Request) -> str:
    """The unit a faked service sees asking."""
    token = request.headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["unit"])


def problem(status: int, reason: str) -> httpx.Response:
    return httpx.Response(status, json={"reason": reason, "message": reason, "detail": reason})


def faked_api(handler: Callable[[httpx.Request], httpx.Response]) -> ServicesApi:
    return ServicesApi(
        intake="http://intake",
        aggregator="http://aggregator",
        validator="http://validator",
        notifier="http://notifier",
        transport=httpx.MockTransport(handler),
    )


def browser_for(
    tmp_path: Path,
    api: ServicesApi,
    people: Mapping[str, tuple[str, frozenset[Role]]],
    **settings: str,
) -> Browser:
    """``browser(username)``: a client of the real app signed in as that person."""
    configured = WebSettings.model_validate({"BAOCAO_IDENTITY_DIR": str(tmp_path), **settings})
    accounts = signing_in(configured)
    web = WebApp(configured, api=api)
    app = web.app()

    def as_person(username: str) -> httpx.AsyncClient:
        unit, roles = people[username]
        if accounts.accounts.find(username) is None:
            accounts.create(username, unit, roles, username, PASSWORD)
        token = token_for(unit, f"person:{username}")
        session = new_session(username, unit, roles, username, token)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        )
        client.cookies.set(web.context.cookies.name, web.context.cookies.dump(session))
        client.headers[CSRF_HEADER_FOR_TESTS] = session.csrf
        return client

    return as_person
