"""What the commune form needs to work offline: the service worker, served at the root so its
scope covers the whole app, and the session as a script may read it (who is signed in, and a
CSRF token for resending a queued report). Signing out wipes what the browser kept."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.web.entrypoints.pages import STATIC
from services.web.entrypoints.session import Session

router = APIRouter()

# Everything this origin stored in the browser: the service worker's caches, the queue of
# reports waiting to be sent (IndexedDB), and the worker itself. Sent with sign-out.
CLEAR_SITE_DATA = '"cache", "storage"'


@cache
def _service_worker() -> bytes:
    return (STATIC / "sw.js").read_bytes()


@router.get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    # Served from the root, not /static/, so that its scope is the whole app; checked for a new
    # version on every visit (browsers cap a worker's HTTP caching at a day anyway).
    return Response(
        _service_worker(),
        media_type="text/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@router.get("/session", include_in_schema=False)
async def session_for_scripts(request: Request) -> Response:
    """Who is signed in and the session's CSRF token, for the outbox's resend; 401 when the
    session has ended (the queue then waits for the person to sign in again). Only this
    origin's scripts can read it: no CORS header is ever sent."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        return JSONResponse({"signed_in": False}, status_code=401)
    return JSONResponse(
        {"signed_in": True, "person": session.username, "unit": session.unit, "csrf": session.csrf}
    )
