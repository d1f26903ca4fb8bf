"""Suite-wide settings: no ambient configuration leaks into tests."""

from __future__ import annotations

import os

import pytest

_OWN_VARIABLES = (
    "NATS_URL",
    "DATABASE_URL",
    "BAOCAO_",
    "INTAKE_",
    "VALIDATOR_",
    "AGGREGATOR_",
    "NOTIFIER_",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_OWN_VARIABLES):
            monkeypatch.delenv(name)
