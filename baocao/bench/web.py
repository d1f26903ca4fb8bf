"""The web app's figures: how long the national page takes with five years of history behind
it, and how much a first visit downloads.

Measured over HTTP as a browser asks (a signed-in session cookie, gzip accepted), one request
after another on one connection: the page's time includes every call it makes to the services.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from baocao.accounts_cli import signing_in
from baocao.bench.pipeline import percentile
from baocao.stack import Stack
from services.web.settings import WebSettings
from shared.identity import Role

ACCOUNT = "bench-central"
_FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class PageFigures:
    p50_ms: float
    p99_ms: float
    first_ms: float
    first_load_bytes: int  # compressed: what crosses the link on a first visit
    assets: int


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet" and found.get("href"):
            self.urls.append(str(found["href"]))


def signed_in_client(stack: Stack) -> httpx.Client:
    """A client holding Central's session, through the real sign-in form."""
    password = f"bench-{uuid.uuid4().hex}"
    accounts = signing_in(WebSettings.model_validate(stack.env))
    if accounts.accounts.find(ACCOUNT) is None:
        accounts.create(ACCOUNT, "VN", frozenset({Role.READER}), "Bench", password)
    else:
        accounts.set_password(ACCOUNT, password)
    client = httpx.Client(
        base_url=stack.url("web"), timeout=60, headers={"Accept-Encoding": "gzip"}
    )
    form = client.get("/sign-in")
    token = _FORM_TOKEN.search(form.text)
    assert token is not None, "the sign-in form carries a CSRF token"
    signed = client.post(
        "/sign-in", data={"username": ACCOUNT, "password": password, "csrf": token.group(1)}
    )
    assert signed.status_code == 303, signed.text
    return client


def first_load_bytes(client: httpx.Client, path: str) -> tuple[int, int]:
    """Bytes downloaded (compressed) for the page and every script and stylesheet it names."""
    page = client.get(path)
    page.raise_for_status()
    total = page.num_bytes_downloaded
    parser = _Assets()
    parser.feed(page.text)
    for url in parser.urls:
        asset = client.get(urljoin(path, url))
        asset.raise_for_status()
        total += asset.num_bytes_downloaded
    return total, len(parser.urls)


def national_page(stack: Stack, path: str, requests: int) -> PageFigures:
    client = signed_in_client(stack)
    try:
        weight, assets = first_load_bytes(client, path)
        started = time.perf_counter()
        client.get(path).raise_for_status()
        first_ms = (time.perf_counter() - started) * 1000
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    finally:
        client.close()
    return PageFigures(
        p50_ms=percentile(timings, 50),
        p99_ms=percentile(timings, 99),
        first_ms=first_ms,
        first_load_bytes=weight,
        assets=assets,
    )
