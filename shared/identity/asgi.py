"""Closed by default over HTTP: every request but probes and API docs shows a valid token.

A plain ASGI middleware in front of every service's routes, so a new endpoint is protected
without anyone remembering to protect it. The token is checked before a byte of the body is
read, and the body is then read up to a limit before any route parses it.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics
from shared.identity.caller import Caller
from shared.identity.verifier import TokenVerifier, Unauthenticated
from shared.problems import response_for
from shared.refusals import Kind, Refusal

# Probes and scrapes stay open for the cluster (deploy keeps them off the Ingress); the API
# documents describe the interface, not anyone's data.
PUBLIC_PATHS: Final = frozenset(
    {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def caller_of(request: Request) -> Caller:
    """The verified caller the middleware attached to this request."""
    caller: Caller = request.state.caller
    return caller


class Authentication:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier, max_body_bytes: int) -> None:
        self.app = app
        self.verifier = verifier
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            caller = await self.verifier.caller(
                headers.get(b"authorization", b"").decode("latin-1")
            )
        except Unauthenticated as error:
            metrics.auth_refusals.labels(error.reason).inc()
            answer = response_for(error, scope["path"])
            # RFC 6750: a refused bearer token says why in WWW-Authenticate too.
            answer.headers["www-authenticate"] = (
                f'Bearer realm="baocao", error="invalid_token", error_description="{error.reason}"'
            )
            await answer(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", receive, first=message), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics.auth_refusals.labels("body_too_large").inc()
        refusal = Refusal(
            "body_too_large", f"the body is over {self.max_body_bytes} bytes", kind=Kind.TOO_LARGE
        )
        await response_for(refusal, scope["path"])(scope, receive, send)


def _replay(body: bytes, receive: Receive, first: Message | None = None) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
