"""The notifier's HTTP API: each unit's contacts, and the history of its notices.

A unit manages its own contacts; its province manages its communes'; Central everyone's. The
same rule says who may read a unit's contacts and notices.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notifier.adapters.contacts import Contact, ContactStore
from services.notifier.adapters.outbox import Outbox
from services.notifier.domain import webhook_targets
from services.notifier.domain.webhook_targets import WebhookPolicy
from shared import subjects
from shared.clock import Clock
from shared.identity import Role, caller_of, require_reach, require_role
from shared.logging import get_logger
from shared.registry import Registry
from shared.schemas import Notice, Problem

log = get_logger(__name__)
# Who may change where a unit's notices go: its own system or clerk, an approving official, or
# operations staff. A read-only dashboard may look but not redirect them.
MANAGERS = (Role.SUBMITTER, Role.APPROVER, Role.OPS)
_EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class ContactsRequest(BaseModel):
    """A unit's contacts as a whole: a PUT replaces what was there."""

    model_config = ConfigDict(extra="forbid")

    emails: list[str] = Field(default=[], max_length=20, examples=[["vanthu@hoankiem.gov.vn"]])
    webhook_url: str | None = Field(
        default=None, max_length=2000, examples=["https://hoankiem.gov.vn/baocao/hook"]
    )
    webhook_secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="Signs each webhook request (X-Baocao-Signature); never shown again.",
    )

    @field_validator("emails")
    @classmethod
    def _addresses(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not _EMAIL.fullmatch(email):
                raise ValueError(f"not an e-mail address: {email[:100]!r}")
        return list(dict.fromkeys(e.strip() for e in emails))

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            raise ValueError("the webhook URL must be http:// or https://")
        try:  # what the channel will parse: a bad port or host must be refused here, not later
            parsed = httpx.URL(url)
            parsed.port  # noqa: B018 - parsing the port is the check
        except (httpx.InvalidURL, ValueError) as error:
            raise ValueError(f"not a usable webhook URL: {error}") from error
        if not parsed.host:
            raise ValueError("the webhook URL has no host")
        return url

    @model_validator(mode="after")
    def _url_with_secret(self) -> ContactsRequest:
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("a webhook_url needs its webhook_secret, and the other way round")
        return self


class Contacts(BaseModel):
    unit: str
    emails: list[str]
    webhook_url: str | None
    webhook_secret_set: bool
    nats_subject: str = Field(description="Always on: notify.<unit>.")
    updated_by: str | None
    updated_at: datetime | None


class Attempt(BaseModel):
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None = Field(description="sent, failed, dead; null: in flight or cut short.")
    error: str | None
    http_status: int | None


class Delivery(BaseModel):
    channel: str
    status: str = Field(description="pending, sent, cancelled or dead.")
    attempts: int
    closed_at: datetime | None
    last_error: str | None
    history: list[Attempt]


class NotificationRecord(BaseModel):
    notice: Notice
    created_at: datetime
    cancelled_at: datetime | None
    deliveries: list[Delivery]


class NotificationHistory(BaseModel):
    unit: str
    count: int
    notifications: list[NotificationRecord]


class Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _view(unit: str, contact: Contact | None) -> Contacts:
    return Contacts(
        unit=unit,
        emails=list(contact.emails) if contact else [],
        webhook_url=contact.webhook_url if contact else None,
        webhook_secret_set=bool(contact and contact.webhook_secret),
        nats_subject=subjects.notify(unit),
        updated_by=contact.updated_by if contact else None,
        updated_at=contact.updated_at if contact else None,
    )


def routes(
    contacts_of: Callable[[], ContactStore],
    outbox_of: Callable[[], Outbox],
    registry_of: Callable[[], Registry],
    clock: Clock,
    webhook_policy: WebhookPolicy,
) -> APIRouter:
    router = APIRouter()
    problems: dict[int | str, dict[str, Any]] = {
        400: {"model": Problem},
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        409: {"model": Problem},
    }

    def allowed(request: Request, unit: str, *roles: Role) -> str:
        """The caller's unit, once it is shown to reach ``unit`` (with one of ``roles``)."""
        caller = caller_of(request)
        if roles:
            require_role(caller, *roles)
        found = registry_of().get(unit)
        if found is None:
            raise Refused(404, "unknown_unit", f"no unit has code {unit[:16]!r}")
        require_reach(caller, found)
        return caller.unit

    @router.get(
        "/v1/contacts/{unit}",
        response_model=Contacts,
        responses=problems,
        summary="A unit's contacts (its webhook secret is never shown)",
    )
    async def read(unit: str, request: Request) -> Contacts:
        allowed(request, unit)
        return _view(unit, await contacts_of().get(unit))

    async def store(unit: str, body: ContactsRequest, caller: str) -> tuple[Contacts, bool]:
        if body.webhook_url is not None:
            refusal = webhook_targets.check_url(body.webhook_url, webhook_policy)
            if refusal is not None:
                raise Refused(400, refusal.reason, refusal.message)
        contact = Contact(
            unit,
            tuple(body.emails),
            body.webhook_url,
            body.webhook_secret,
            caller,
            clock.now(),
        )
        created = await contacts_of().put(contact)
        log.info(
            "contacts changed",
            unit=unit,
            by=caller,
            emails=len(body.emails),
            webhook=body.webhook_url is not None,
        )
        return _view(unit, contact), created

    @router.post(
        "/v1/contacts/{unit}",
        status_code=201,
        response_model=Contacts,
        responses=problems,
        summary="Create a unit's contacts (409 if it has some: PUT replaces them)",
    )
    async def create(unit: str, body: ContactsRequest, request: Request) -> Contacts:
        caller = allowed(request, unit, *MANAGERS)
        if await contacts_of().get(unit) is not None:
            raise Refused(409, "contacts_exist", f"{unit} has contacts already; PUT replaces them")
        view, _ = await store(unit, body, caller)
        return view

    @router.put(
        "/v1/contacts/{unit}",
        response_model=Contacts,
        responses=problems,
        summary="Create or replace a unit's contacts",
    )
    async def replace(unit: str, body: ContactsRequest, request: Request) -> Contacts:
        caller = allowed(request, unit, *MANAGERS)
        view, _ = await store(unit, body, caller)
        return view

    @router.delete(
        "/v1/contacts/{unit}",
        status_code=204,
        responses=problems,
        summary="Remove a unit's contacts (it keeps notify.<unit> on NATS)",
    )
    async def remove(unit: str, request: Request) -> Response:
        caller = allowed(request, unit, *MANAGERS)
        if not await contacts_of().delete(unit):
            raise Refused(404, "no_contacts", f"{unit} has no contacts")
        log.info("contacts removed", unit=unit, by=caller)
        return Response(status_code=204)

    @router.get(
        "/v1/notifications",
        response_model=NotificationHistory,
        responses=problems,
        summary="Notices to or about a unit, newest first, with every delivery attempt",
    )
    async def history(
        request: Request,
        unit: str = Query(description="The unit code (VN for Central)."),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> NotificationHistory:
        allowed(request, unit)
        rows = await outbox_of().history(unit, limit)
        records = [NotificationRecord.model_validate(r) for r in rows]
        return NotificationHistory(unit=unit, count=len(records), notifications=records)

    return router


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        problem = Problem(reason=error.reason, message=error.message)
        return JSONResponse(problem.model_dump(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problem = Problem(
            reason="invalid_request",
            message="the request is not valid",
            details=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()],
        )
        return JSONResponse(problem.model_dump(), status_code=400)
