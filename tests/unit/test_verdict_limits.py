"""A verdict always fits in a NATS message, and an unreadable message never takes a real id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
import nats.errors
import nats.js.errors

from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.verdicts import MAX_REASONS, verdict_for
from shared.catalog import Catalog
from shared.outages import is_transient
from shared.registry import Registry
from shared.registry.seed import units_from_package

CATALOG = Catalog.load()
REGISTRY = Registry(units_from_package())
NOW = datetime(2026, 12, 10, 2, tzinfo=UTC)


def incoming(body: bytes, msg_id: str | None = None) -> IncomingSubmission:
    return IncomingSubmission("reports.submitted.01.00070", body, msg_id, 7, NOW)


def test_a_report_naming_thousands_of_unknown_indicators_gets_a_verdict_that_fits_nats() -> None:
    body = json.dumps(
        {
            "submission_id": "many-unknowns",
            "report_type": "kl226-quarterly",
            "period": "2026-Q4",
            "unit": "00070",
            "values": {f"x{n}": 1 for n in range(5400)},
        }
    ).encode()
    assert len(body) < 64 * 1024

    verdict = verdict_for(incoming(body), catalog=CATALOG, registry=REGISTRY, received_at=NOW)

    assert verdict.status == "rejected"
    assert len(verdict.reasons) == MAX_REASONS
    assert verdict.reasons[-1].code == "too_many_reasons"
    assert len(verdict.model_dump_json()) < 64 * 1024


def test_unreadable_bytes_are_filed_under_a_prefixed_id_not_the_senders_id() -> None:
    verdict = verdict_for(
        incoming(b"{not json", msg_id="report-42"),
        catalog=CATALOG,
        registry=REGISTRY,
        received_at=NOW,
    )

    assert verdict.submission_id == "unreadable:report-42"


def test_outages_are_transient_and_faults_of_the_message_are_not() -> None:
    assert is_transient(ConnectionRefusedError())
    assert is_transient(asyncpg.exceptions.CannotConnectNowError())
    assert is_transient(asyncpg.exceptions.ReadOnlySQLTransactionError())
    assert is_transient(nats.js.errors.ServiceUnavailableError())
    assert is_transient(nats.js.errors.NoStreamResponseError())
    assert not is_transient(nats.errors.MaxPayloadError())
    assert not is_transient(nats.js.errors.BadRequestError(code=400, description="bad"))
    assert not is_transient(ValueError("a bug"))
