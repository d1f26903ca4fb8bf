"""Sign-in through the OpenID Connect provider: out to it, and back with a code."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.adapters.oidc import Attempt, OidcFailed, new_attempt
from services.web.entrypoints.pages import render, web
from services.web.entrypoints.session import new_session
from services.web.entrypoints.signing_in import home_of, safe_next
from shared.identity.verifier import Unauthenticated
from shared.logging import get_logger

router = APIRouter()
log = get_logger(__name__)


def _failed(request: Request, reason: str) -> Response:
    log.warning("oidc sign-in failed", reason=reason)
    return render(
        request,
        "error.html",
        {"status": 401, "reason": reason, "detail": ""},
        status_code=401,
    )


@router.get("/sign-in/oidc", include_in_schema=False)
async def leave_for_provider(
    request: Request, next: Annotated[str, Query(max_length=2048)] = ""
) -> Response:
    context = web(request)
    if context.oidc is None:
        return _failed(request, "oidc_not_configured")
    attempt = new_attempt(safe_next(next) or "")
    response = RedirectResponse(await context.oidc.authorization_url(attempt), status_code=303)
    cookies = context.cookies
    response.set_cookie(
        cookies.oidc_name,
        cookies.dump_attempt(dataclasses.asdict(attempt)),
        **cookies.cookie_options(max_age=600),
    )
    return response


@router.get("/sign-in/oidc/callback", include_in_schema=False)
async def back_from_provider(
    request: Request,
    code: Annotated[str, Query(max_length=4096)] = "",
    state: Annotated[str, Query(max_length=256)] = "",
    error: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    context = web(request)
    cookies = context.cookies
    saved = cookies.load_attempt(request.cookies.get(cookies.oidc_name))
    if context.oidc is None or saved is None or not state or saved.get("state") != state:
        return _failed(request, "oidc_state_mismatch")
    if error or not code:
        return _failed(request, f"oidc_{error or 'no_code'}"[:64])
    attempt = Attempt(**saved)
    try:
        tokens = await context.oidc.exchange(code, attempt)
        caller = await context.verifier.verify(tokens.access_token)
    except OidcFailed as failed:
        return _failed(request, f"oidc_{failed.reason}")
    except Unauthenticated as refused:
        # The provider signed someone in whose token the services would refuse (no unit, no
        # Baocao role): better said here than on every page.
        return _failed(request, refused.reason)
    session = new_session(
        caller.subject, caller.unit, caller.roles, tokens.name, tokens.access_token, "oidc"
    )
    log.info("signed in through the provider", subject=caller.subject, unit=caller.unit)
    response = RedirectResponse(attempt.next or home_of(caller.unit), status_code=303)
    response.set_cookie(cookies.name, cookies.dump(session), **cookies.cookie_options())
    response.delete_cookie(cookies.oidc_name, path="/")
    return response
