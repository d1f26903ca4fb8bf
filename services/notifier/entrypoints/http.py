"""The notifier's HTTP API: each unit's contacts, and the history of its notices.

Thin: it parses the request, takes the caller from :mod:`shared.identity` and hands both to
the contacts use case (``usecases/contacts.py``), which decides who may see or change what and
refuses in :class:`~shared.refusals.Refusal` kinds; ``shared.problems`` answers those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notifier.usecases.contacts import Contacts as ContactsUseCase
from services.notifier.usecases.ports import Contact
from shared import subjects
from shared.identity import caller_of
from shared.schemas import Notice, Problem

_EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (400, 401, 403, 404, 409)
}


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


def routes(contacts_of: Callable[[], ContactsUseCase]) -> APIRouter:
    """The routes, with the contacts use case (built when the notifier starts) from
    ``contacts_of``."""
    router = APIRouter()

    @router.get(
        "/v1/contacts/{unit}",
        response_model=Contacts,
        responses=PROBLEMS,
        summary="A unit's contacts (its webhook secret is never shown)",
    )
    async def read(unit: str, request: Request) -> Contacts:
        return _view(unit, await contacts_of().read(caller_of(request), unit))

    @router.post(
        "/v1/contacts/{unit}",
        status_code=201,
        response_model=Contacts,
        responses=PROBLEMS,
        summary="Create a unit's contacts (409 if it has some: PUT replaces them)",
    )
    async def create(unit: str, body: ContactsRequest, request: Request) -> Contacts:
        contact = await contacts_of().create(
            caller_of(request), unit, body.emails, body.webhook_url, body.webhook_secret
        )
        return _view(unit, contact)

    @router.put(
        "/v1/contacts/{unit}",
        response_model=Contacts,
        responses=PROBLEMS,
        summary="Create or replace a unit's contacts",
    )
    async def replace(unit: str, body: ContactsRequest, request: Request) -> Contacts:
        contact = await contacts_of().replace(
            caller_of(request), unit, body.emails, body.webhook_url, body.webhook_secret
        )
        return _view(unit, contact)

    @router.delete(
        "/v1/contacts/{unit}",
        status_code=204,
        responses=PROBLEMS,
        summary="Remove a unit's contacts (it keeps notify.<unit> on NATS)",
    )
    async def remove(unit: str, request: Request) -> Response:
        await contacts_of().remove(caller_of(request), unit)
        return Response(status_code=204)

    @router.get(
        "/v1/notifications",
        response_model=NotificationHistory,
        responses=PROBLEMS,
        summary="Notices to or about a unit, newest first, with every delivery attempt",
    )
    async def history(
        request: Request,
        unit: str = Query(description="The unit code (VN for Central)."),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> NotificationHistory:
        rows = await contacts_of().history(caller_of(request), unit, limit)
        records = [NotificationRecord.model_validate(r) for r in rows]
        return NotificationHistory(unit=unit, count=len(records), notifications=records)

    return router
