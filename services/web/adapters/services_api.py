"""The four services' public HTTP APIs, called with the signed-in person's token.

Nothing here decides who may see what: the services do, and a refusal comes back as
:class:`ServiceRefused` carrying their status and reason, which the page shows as is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from services.web.usecases.ports import ServiceRefused
from shared.outages import is_transient

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class ServicesApi:
    def __init__(
        self,
        *,
        intake: str,
        aggregator: str,
        validator: str,
        notifier: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._clients = {
            name: httpx.AsyncClient(base_url=url, timeout=TIMEOUT, transport=transport)
            for name, url in (
                ("intake", intake),
                ("aggregator", aggregator),
                ("validator", validator),
                ("notifier", notifier),
            )
        }

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    def client(self, service: str) -> httpx.AsyncClient:
        return self._clients[service]

    async def get(
        self, service: str, path: str, token: str, params: Mapping[str, str] | None = None
    ) -> Any:
        return await self._call(service, "GET", path, token, params=params)

    async def open_lines(
        self,
        service: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        read_timeout: float,
    ) -> ResponseLines:
        """A streamed GET (the live feed), open once the service has answered 2xx."""
        client = self._clients[service]
        request = client.build_request(
            "GET",
            path,
            params=params,
            headers={**headers, "Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(10.0, connect=3.0, read=read_timeout),
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ServiceRefused(
                503, "service_unavailable", f"{service} did not answer", {}
            ) from error
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise refusal_of(response)
        return ResponseLines(response)

    async def get_bytes(self, service: str, path: str, token: str) -> tuple[bytes, str]:
        response = await self._send(service, "GET", path, token)
        return response.content, response.headers.get("content-type", "application/octet-stream")

    async def post(
        self,
        service: str,
        path: str,
        token: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        return await self._call(service, "POST", path, token, body=body, params=params)

    async def delete(
        self, service: str, path: str, token: str, body: Mapping[str, Any] | None = None
    ) -> Any:
        return await self._call(service, "DELETE", path, token, body=body)

    async def post_bytes(self, service: str, path: str, token: str, content: bytes) -> Any:
        """POST ``content`` as it is, JSON: a body signed elsewhere, whose bytes must not be
        serialised again."""
        response = await self._send(service, "POST", path, token, content=content)
        return response.json() if response.content else None

    async def _call(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        response = await self._send(service, method, path, token, body=body, params=params)
        if not response.content:
            return None
        return response.json()

    async def _send(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        elif body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, ensure_ascii=False).encode()
        try:
            response = await self._clients[service].request(
                method, path, headers=headers, content=content, params=params
            )
        except httpx.HTTPError as error:
            if is_transient(error) or isinstance(error, httpx.TransportError):
                raise ServiceRefused(
                    503, "service_unavailable", f"{service} did not answer", {}
                ) from error
            raise
        if response.status_code >= 400:
            raise refusal_of(response)
        return response


class ResponseLines:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def lines(self) -> AsyncIterator[str]:
        try:
            async for line in self._response.aiter_lines():
                yield line
        except httpx.HTTPError:
            return  # cut off: the reader sees the end of the stream

    async def close(self) -> None:
        await self._response.aclose()


def refusal_of(response: httpx.Response) -> ServiceRefused:
    """A service's problem answer as :class:`ServiceRefused` (its status and reason)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ServiceRefused(
        response.status_code,
        str(body.get("reason", "error")),
        str(body.get("message") or body.get("detail") or response.reason_phrase),
        body,
    )
