"""One error body for every service (RFC 9457), and an OpenAPI document that says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from baocao.contracts import openapi_documents
from shared.problems import MEDIA_TYPE, STATUS, add_problem_handlers
from shared.refusals import Kind, Refusal


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def app_refusing(refusal: Refusal, counted: list[str]) -> FastAPI:
    app = FastAPI()
    add_problem_handlers(app, on_refusal=counted.append)

    @app.get("/v1/thing/{code}")
    async def thing(code: int) -> dict[str, int]:
        raise refusal

    return app


@pytest.mark.parametrize("kind", list(Kind))
async def test_a_refusal_is_answered_with_its_kinds_status_as_problem_details(kind: Kind) -> None:
    counted: list[str] = []
    refusal = Refusal("some_rule", "Báo cáo không hợp lệ", kind=kind, details=[{"field": "x"}])

    async with client_of(app_refusing(refusal, counted)) as client:
        answer = await client.get("/v1/thing/1")

    assert answer.status_code == STATUS[kind]
    assert answer.headers["content-type"] == MEDIA_TYPE
    assert answer.json() == {
        "type": "urn:baocao:problem:some_rule",
        "title": answer.json()["title"],
        "status": STATUS[kind],
        "detail": "Báo cáo không hợp lệ",
        "instance": "/v1/thing/1",
        "reason": "some_rule",
        "message": "Báo cáo không hợp lệ",
        "details": [{"field": "x"}],
    }
    assert counted == ["some_rule"]


async def test_an_outage_says_when_to_come_back() -> None:
    refusal = Refusal("service_unavailable", "retry", kind=Kind.UNAVAILABLE, retry_after=2)
    async with client_of(app_refusing(refusal, [])) as client:
        answer = await client.get("/v1/thing/1")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"


async def test_an_invalid_request_and_an_unknown_path_are_problems_too() -> None:
    async with client_of(app_refusing(Refusal("unused", "unused"), [])) as client:
        invalid = await client.get("/v1/thing/not-a-number")
        unknown = await client.get("/v1/nothing")

    assert (invalid.status_code, invalid.json()["reason"]) == (400, "invalid_request")
    assert invalid.json()["details"][0]["loc"] == ["path", "code"]
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "not_found")
    assert unknown.headers["content-type"] == MEDIA_TYPE


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (service, f"{method.upper()} {path}", operation)
        for service, document in openapi_documents().items()
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_documented_error_is_a_problem_and_none_is_fastapis_422() -> None:
    found = operations()
    assert len(found) > 20
    for service, name, operation in found:
        responses = operation["responses"]
        assert "422" not in responses, f"{service} {name}"
        assert {"400", "401", "403"} <= set(responses), f"{service} {name}"
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == [MEDIA_TYPE], f"{service} {name} {status}"


def test_every_service_documents_bearer_tokens() -> None:
    for document in openapi_documents().values():
        assert document["security"] == [{"bearer": []}]
        assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
