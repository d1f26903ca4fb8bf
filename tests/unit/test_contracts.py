"""The committed HTTP and event contracts are the ones the code serves."""

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


# Each subscriber the services declare, in the document: tests/unit/test_subscribers_contract.py


def test_the_asyncapi_document_gives_each_event_its_payload_schema() -> None:
    document = json.loads((CONTRACTS / "asyncapi.json").read_text(encoding="utf-8"))
    payloads = {
        name: message["payload"].get("$ref", "")
        for name, message in document["components"]["messages"].items()
    }

    assert payloads["validator: reports.submitted:SubscribeMessage"].endswith("/Submission")
    assert payloads["aggregator: reports.accepted:SubscribeMessage"].endswith("/Verdict")
    assert payloads["notifier: notify:Message"].endswith("/Notice")
    assert {"Submission", "Verdict", "Notice", "Reason"} <= set(document["components"]["schemas"])
    assert document["asyncapi"] == "3.0.0"
