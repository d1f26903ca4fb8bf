"""Refusals of the aggregator's HTTP API, as Problem bodies {"reason", "message"}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class Refusal(Exception):
    """A request the API answers with ``status`` and a machine-readable ``reason``."""

    status = 400

    def __init__(self, reason: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class BadRequest(Refusal):
    status = 400


class Unavailable(Refusal):
    status = 503


def add_refusal_handler(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def refused(_: Request, error: Refusal) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return JSONResponse(
            {"reason": error.reason, "message": error.message},
            status_code=error.status,
            headers=headers,
        )
