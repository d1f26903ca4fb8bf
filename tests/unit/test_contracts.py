"""The committed HTTP contracts are the ones the code serves."""

from __future__ import annotations

import json

from baocao.contracts import CONTRACTS, stale


def test_the_committed_openapi_documents_match_the_code() -> None:
    out_of_date = stale()

    assert out_of_date == [], f"run `make contracts` and commit: {out_of_date}"


def test_the_published_contracts_cover_submitting_and_reading() -> None:
    intake = json.loads((CONTRACTS / "openapi-intake.json").read_text(encoding="utf-8"))
    central = json.loads((CONTRACTS / "openapi-aggregator.json").read_text(encoding="utf-8"))

    assert {"/v1/submissions", "/v1/submissions/{submission_id}"} <= set(intake["paths"])
    assert "/v1/rollups/{report_type}/{period}" in central["paths"]
