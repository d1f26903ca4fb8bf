"""While PostgreSQL or NATS is out of reach, intake says so: 503, a reason, and when to retry."""

from __future__ import annotations

import httpx
import nats
import pytest
from structlog.testing import capture_logs

from baocao.nats_identities import ops_options
from services.intake.adapters.publisher import SubmissionPublisher
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission

pytestmark = pytest.mark.integration


async def lose_postgresql(system: System) -> None:
    """Intake's connection pool goes away, as its database would in an outage."""
    await system.intake.runtime.db.close()


async def lose_nats(system: System) -> None:
    """Intake publishes over a NATS connection that has closed, as after losing the server."""
    connection = await nats.connect(system.nats_url, **ops_options())
    await connection.close()
    assert system.intake.service is not None
    system.intake.service.publisher = SubmissionPublisher(connection.jetstream())


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    problem = response.json()
    assert problem["reason"] == "service_unavailable"
    assert problem["message"]
    [detail] = problem["details"]
    assert detail["code"] == "service_unavailable"
    assert detail["message"]
    assert detail["message_en"]


async def test_a_submission_while_postgresql_is_unreachable_is_503_with_retry_after(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await lose_postgresql(system)

    response = await system.submit(submission("00070"))

    assert_unavailable(response)


async def test_a_status_request_while_postgresql_is_unreachable_is_503_with_retry_after(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await lose_postgresql(system)

    response = await system.intake_http.get(
        "/v1/submissions/some-submission-id", headers=bearer("00070")
    )

    assert_unavailable(response)


async def test_a_submission_while_nats_is_unreachable_is_503_with_retry_after(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    await lose_nats(system)

    response = await system.submit(submission("00070"))

    assert_unavailable(response)


async def test_an_outage_answer_is_logged_as_a_warning(start_system: SystemFactory) -> None:
    system = await start_system()
    await lose_postgresql(system)

    with capture_logs() as logs:
        await system.submit(submission("00070"))

    [entry] = [e for e in logs if e.get("path") == "/v1/submissions"]
    assert entry["log_level"] == "warning"
    assert entry["method"] == "POST"
    assert "InterfaceError" in entry["error"]


async def test_an_outage_does_not_hide_a_refusal(start_system: SystemFactory) -> None:
    system = await start_system()
    await lose_postgresql(system)

    response = await system.intake_http.post("/v1/submissions", json=submission("00070"))

    assert response.status_code == 401
    assert response.json()["reason"] == "missing_token"
