"""`baocao validate FILE.json`: a dry run from the command line, its answer as the exit code."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from baocao import cli
from shared.identity import verifier_from
from shared.settings import CommonSettings


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"unit": "00070", "submission_id": "x" * 10}), encoding="utf-8")
    return path


def answering(
    monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any]
) -> list[dict[str, Any]]:
    """Stand in for intake (a unit test: the integration tests run the real dry run)."""
    calls: list[dict[str, Any]] = []

    def post(url: str, **kwargs: Any) -> httpx.Response:
        calls.append({"url": url, **kwargs})
        return httpx.Response(status, json=body)

    monkeypatch.setattr(httpx, "post", post)
    monkeypatch.delenv("BAOCAO_TOKEN", raising=False)
    monkeypatch.delenv("BAOCAO_TOKEN_SECRET", raising=False)
    return calls


@pytest.mark.parametrize(
    ("status", "body", "exit_code"),
    [
        (200, {"dry_run": True, "status": "accepted", "reasons": [], "warnings": []}, 0),
        (200, {"dry_run": True, "status": "rejected", "reasons": [{"code": "x"}]}, 1),
        (400, {"reason": "malformed_json", "message": "..."}, 1),
        (503, {"reason": "service_unavailable", "message": "..."}, 2),
    ],
)
def test_validate_exits_0_only_if_the_report_would_be_accepted(
    monkeypatch: pytest.MonkeyPatch,
    report: Path,
    status: int,
    body: dict[str, Any],
    exit_code: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = answering(monkeypatch, status, body)

    code = cli.main(["validate", str(report), "--url", "http://intake"])

    assert code == exit_code
    [call] = calls
    assert call["url"] == "http://intake/v1/submissions"
    assert call["params"] == {"dry_run": "true"}
    unit = asyncio.run(
        verifier_from(CommonSettings()).caller(call["headers"]["Authorization"])
    ).unit
    assert unit == "00070"
    assert json.loads(capsys.readouterr().out) == body
