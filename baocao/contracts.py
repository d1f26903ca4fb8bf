"""The HTTP and event contracts, generated from the code into docs/contracts/ (`make contracts`).

A test regenerates them and compares: a committed document that no longer matches the code
fails the build, so the published contract is always the one that runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parent.parent / "docs" / "contracts"


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, built without connecting to anything."""
    from services.aggregator.bootstrap import Aggregator
    from services.aggregator.settings import AggregatorSettings
    from services.intake.bootstrap import Intake
    from services.intake.settings import IntakeSettings
    from services.notifier.bootstrap import Notifier
    from services.notifier.settings import NotifierSettings
    from services.validator.bootstrap import Validator
    from services.validator.settings import ValidatorSettings

    apps = {
        "intake": Intake(IntakeSettings()).app(),
        "aggregator": Aggregator(AggregatorSettings()).app(),
        "validator": Validator(ValidatorSettings()).app(),
        "notifier": Notifier(NotifierSettings()).app(),
    }
    return {name: app.openapi() for name, app in apps.items()}


def rendered() -> dict[Path, str]:
    from baocao import asyncapi

    documents = {
        CONTRACTS / f"openapi-{name}.json": _pretty(document)
        for name, document in openapi_documents().items()
    }
    documents[CONTRACTS / "asyncapi.json"] = _pretty(json.loads(asyncapi.document()))
    return documents


def _pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write() -> list[Path]:
    CONTRACTS.mkdir(parents=True, exist_ok=True)
    documents = rendered()
    for path, text in documents.items():
        path.write_text(text, encoding="utf-8")
    return sorted(documents)


def stale() -> list[Path]:
    """Committed documents that differ from what the code generates now."""
    return sorted(
        path
        for path, text in rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    )
