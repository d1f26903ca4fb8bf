"""`baocao approve|unapprove|accept|unaccept|approvals|history` against a stand-in validator
(the integration tests drive the real API)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx
import pytest

from baocao import approvals
from shared.identity import verifier_from
from shared.settings import CommonSettings


def run(argv: list[str]) -> int:
    root = argparse.ArgumentParser(prog="baocao")
    approvals.add_commands(root.add_subparsers(dest="command", required=True))
    args = root.parse_args(argv)
    code: int = args.run(args)
    return code


def answering(
    monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any]
) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        calls.append({"method": method, "url": url, **kwargs})
        return httpx.Response(status, json=body)

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.delenv("BAOCAO_TOKEN", raising=False)
    return calls


def acting_unit(call: dict[str, Any]) -> str | None:
    return asyncio.run(
        verifier_from(CommonSettings()).caller(call["headers"]["Authorization"])
    ).unit


URL = ["--url", "http://validator"]


def test_approve_posts_with_the_communes_province_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"unit": "00070", "status": "approved", "changed": True}
    calls = answering(monkeypatch, 201, body)

    code = run(["approve", "kl226-quarterly", "2026-Q4", "00070", *URL])

    assert code == 0
    [call] = calls
    assert (call["method"], call["url"]) == (
        "POST",
        "http://validator/v1/approvals/kl226-quarterly/2026-Q4/00070",
    )
    assert acting_unit(call) == "01"
    assert json.loads(capsys.readouterr().out) == body


def test_unapprove_sends_its_reason_and_a_refusal_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = answering(monkeypatch, 409, {"reason": "accepted_by_central", "message": "..."})

    code = run(["unapprove", "kl226-quarterly", "2026-Q4", "01", "--reason", "Sửa số liệu", *URL])

    assert code == 1
    [call] = calls
    assert call["method"] == "DELETE"
    assert call["params"] == {"reason": "Sửa số liệu"}
    assert acting_unit(call) == "01"


def test_unapprove_without_a_reason_is_refused_by_the_command_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = answering(monkeypatch, 200, {})

    with pytest.raises(SystemExit):
        run(["unapprove", "kl226-quarterly", "2026-Q4", "01", *URL])
    assert calls == []


@pytest.mark.parametrize(
    ("argv", "method", "path"),
    [
        (["accept", "kl226-quarterly", "2026-Q4", "01"], "POST", "/01/acceptance"),
        (
            ["unaccept", "kl226-quarterly", "2026-Q4", "01", "--reason", "x"],
            "DELETE",
            "/01/acceptance",
        ),
        (["approvals", "kl226-quarterly", "2026-Q4"], "GET", ""),
        (["approvals", "kl226-quarterly", "2026-Q4", "00070"], "GET", "/00070"),
    ],
)
def test_central_accepts_and_reads_the_approvals(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], method: str, path: str
) -> None:
    calls = answering(monkeypatch, 200, {})

    assert run([*argv, *URL]) == 0

    [call] = calls
    assert call["method"] == method
    assert call["url"] == f"http://validator/v1/approvals/kl226-quarterly/2026-Q4{path}"
    assert acting_unit(call) == "VN"


def test_history_reads_with_the_units_own_token_and_passes_its_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = answering(monkeypatch, 200, {"unit": "00070", "submissions": []})

    code = run(["history", "00070", "--period", "2026-Q4", *URL])

    assert code == 0
    [call] = calls
    assert call["url"] == "http://validator/v1/units/00070/submissions"
    assert call["params"] == {"period": "2026-Q4", "limit": "50"}
    assert acting_unit(call) == "00070"


def test_a_given_token_is_used_and_a_server_error_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = answering(monkeypatch, 503, {"reason": "service_unavailable", "message": "..."})

    code = run(["approve", "kl226-quarterly", "2026-Q4", "01", "--token", "VN.abc", *URL])

    assert code == 2
    assert calls[0]["headers"]["Authorization"] == "Bearer VN.abc"


def test_an_unreachable_validator_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(httpx, "request", request)

    assert run(["approvals", "kl226-quarterly", "2026-Q4", *URL]) == 2
