"""Every HTTP endpoint checks who asks: tried as outsiders, neighbours and the wrong role would.

Each forbidden attempt is refused with 401 ("who are you?") or 403 ("not yours") and a
machine-readable reason, and its allowed twin succeeds, so a refusal is never an accident of a
broken endpoint. Attempts are counted in tests/ledger.py; the suite prints the tally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import jwt
import pytest

from shared.identity import Role
from shared.identity.issuer import LocalIssuer
from tests.integration.conftest import SystemFactory
from tests.integration.system import System, bearer, submission
from tests.ledger import LEDGER

pytestmark = pytest.mark.integration

HA_NOI, HO_CHI_MINH = "01", "79"
HOAN_KIEM, NEIGHBOUR = "00070", "00073"  # two communes of Hà Nội
Q4 = "kl226-quarterly/2026-Q4"


@dataclass(frozen=True)
class Attempt:
    what: str
    service: str
    method: str
    path: str
    headers: Mapping[str, str]
    status: int
    reason: str


def clients(system: System) -> dict[str, httpx.AsyncClient]:
    def client(app: object, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")  # type: ignore[arg-type]

    return {
        "intake": client(system.intake.app(), "intake"),
        "aggregator": client(system.aggregator.app(), "aggregator"),
        "validator": client(system.validator.app(), "validator"),
        "notifier": client(system.notifier.app(), "notifier"),
    }


async def tried(system: System, attempts: list[Attempt], *, forbidden: bool) -> list[str]:
    """What did not answer as expected; forbidden attempts go into the ledger."""
    wrong: list[str] = []
    by_service = clients(system)
    try:
        for attempt in attempts:
            response = await by_service[attempt.service].request(
                attempt.method, attempt.path, headers=dict(attempt.headers)
            )
            if forbidden:
                LEDGER.record(f"HTTP: {attempt.what}", response.status_code in (401, 403))
            reason = response.json().get("reason") if response.status_code >= 400 else ""
            if (response.status_code, reason) != (attempt.status, attempt.reason):
                wrong.append(
                    f"{attempt.what}: {response.status_code} {reason!r},"
                    f" expected {attempt.status} {attempt.reason!r}"
                )
    finally:
        for client in by_service.values():
            await client.aclose()
    return wrong


READS = [
    ("aggregator", f"/v1/rollups/{Q4}"),
    ("aggregator", f"/v1/late/{Q4}"),
    ("aggregator", f"/v1/exports/{Q4}.csv"),
    ("aggregator", "/v1/feed"),
    ("intake", "/v1/catalog"),
    ("validator", f"/v1/approvals/{Q4}"),
    ("validator", "/v1/lock-exceptions"),
    ("validator", f"/v1/units/{HOAN_KIEM}/submissions"),
    ("notifier", f"/v1/contacts/{HOAN_KIEM}"),
    ("notifier", f"/v1/notifications?unit={HOAN_KIEM}"),
    ("notifier", "/v1/ticks"),
]


async def test_no_endpoint_answers_without_a_valid_token(start_system: SystemFactory) -> None:
    system = await start_system()
    garbage = {"Authorization": "Bearer not.a.token"}
    attempts = [
        Attempt(f"anonymous GET {path}", service, "GET", path, {}, 401, "missing_token")
        for service, path in READS
    ] + [
        Attempt(f"garbage token GET {path}", service, "GET", path, garbage, 401, "malformed_token")
        for service, path in READS
    ]

    assert await tried(system, attempts, forbidden=True) == []


async def test_the_catalog_is_every_verified_callers_and_no_anonymous_ones(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    attempts = [
        Attempt(f"{who} reads the catalog", "intake", "GET", path, bearer(who), 200, "")
        for who in (HOAN_KIEM, HO_CHI_MINH, "VN")
        for path in ("/v1/catalog", "/v1/catalog/kl226-quarterly")
    ]

    assert await tried(system, attempts, forbidden=False) == []


async def test_a_province_reads_itself_and_its_communes_and_nothing_else(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    hcmc = bearer(HO_CHI_MINH)
    forbidden = [
        Attempt(
            "a province reads the national table",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}",
            hcmc,
            403,
            "national_scope_required",
        ),
        Attempt(
            "a province reads another province",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HA_NOI}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's commune",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HOAN_KIEM}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province lists the nation's late units",
            "aggregator",
            "GET",
            f"/v1/late/{Q4}",
            hcmc,
            403,
            "national_scope_required",
        ),
        Attempt(
            "a province lists another's late units",
            "aggregator",
            "GET",
            f"/v1/late/{Q4}?province={HA_NOI}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's missed targets",
            "aggregator",
            "GET",
            f"/v1/targets/{Q4}/docs_cut?province={HA_NOI}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province exports the nation",
            "aggregator",
            "GET",
            f"/v1/exports/{Q4}.csv",
            hcmc,
            403,
            "national_scope_required",
        ),
        Attempt(
            "a province exports another",
            "aggregator",
            "GET",
            f"/v1/exports/{Q4}/{HA_NOI}.sdmx.json",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province follows the national feed",
            "aggregator",
            "GET",
            "/v1/feed",
            hcmc,
            403,
            "national_scope_required",
        ),
        Attempt(
            "a province follows another's feed",
            "aggregator",
            "GET",
            f"/v1/feed?unit={HA_NOI}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's approvals",
            "validator",
            "GET",
            f"/v1/approvals/{Q4}/{HA_NOI}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's commune history",
            "validator",
            "GET",
            f"/v1/units/{HOAN_KIEM}/submissions",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province lists another's lock exceptions",
            "validator",
            "GET",
            f"/v1/lock-exceptions?unit={HOAN_KIEM}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's contacts",
            "notifier",
            "GET",
            f"/v1/contacts/{HOAN_KIEM}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a province reads another's notices",
            "notifier",
            "GET",
            f"/v1/notifications?unit={HOAN_KIEM}",
            hcmc,
            403,
            "not_your_unit",
        ),
        Attempt(
            "a commune reads its province",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HA_NOI}",
            bearer(HOAN_KIEM),
            403,
            "not_your_unit",
        ),
        Attempt(
            "a commune reads its neighbour",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{NEIGHBOUR}",
            bearer(HOAN_KIEM),
            403,
            "not_your_unit",
        ),
        Attempt(
            "a commune reads its neighbour's history",
            "validator",
            "GET",
            f"/v1/units/{NEIGHBOUR}/submissions",
            bearer(HOAN_KIEM),
            403,
            "not_your_unit",
        ),
    ]
    hanoi = bearer(HA_NOI)
    allowed = [
        Attempt(
            "a province reads itself",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HA_NOI}",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a province reads its commune",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HOAN_KIEM}",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a province lists its late units",
            "aggregator",
            "GET",
            f"/v1/late/{Q4}?province={HA_NOI}",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a province exports itself",
            "aggregator",
            "GET",
            f"/v1/exports/{Q4}/{HA_NOI}.sdmx.json",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a province reads its commune's history",
            "validator",
            "GET",
            f"/v1/units/{HOAN_KIEM}/submissions",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a province reads its commune's contacts",
            "notifier",
            "GET",
            f"/v1/notifications?unit={HOAN_KIEM}",
            hanoi,
            200,
            "",
        ),
        Attempt(
            "a commune reads itself",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}/{HOAN_KIEM}",
            bearer(HOAN_KIEM),
            200,
            "",
        ),
        Attempt(
            "Central reads the nation",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}",
            bearer("VN"),
            200,
            "",
        ),
        Attempt(
            "a province Central granted the nation",
            "aggregator",
            "GET",
            f"/v1/rollups/{Q4}",
            granted_national(HO_CHI_MINH),
            200,
            "",
        ),
    ]

    assert await tried(system, forbidden, forbidden=True) == []
    assert await tried(system, allowed, forbidden=False) == []


def granted_national(unit: str) -> dict[str, str]:
    from shared.identity import Grant

    token = LocalIssuer.of().mint(unit, [Role.READER], grants=[Grant.NATIONAL])
    return {"Authorization": f"Bearer {token}"}


async def test_a_submissions_status_is_for_its_unit_its_province_and_central(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    body = submission(HOAN_KIEM)
    assert (await system.submit(body)).status_code == 202
    path = f"/v1/submissions/{body['submission_id']}"
    forbidden = [
        Attempt(
            "a neighbour reads a status by id",
            "intake",
            "GET",
            path,
            bearer(NEIGHBOUR),
            403,
            "not_your_unit",
        ),
        Attempt(
            "another province reads a status by id",
            "intake",
            "GET",
            path,
            bearer(HO_CHI_MINH),
            403,
            "not_your_unit",
        ),
    ]
    allowed = [
        Attempt(f"{who} reads the status", "intake", "GET", path, bearer(who), 200, "")
        for who in (HOAN_KIEM, HA_NOI, "VN")
    ]

    assert await tried(system, forbidden, forbidden=True) == []
    assert await tried(system, allowed, forbidden=False) == []


async def test_only_a_submitter_submits_and_only_for_its_own_units(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    issuer = LocalIssuer.of()
    platform = {
        "Authorization": f"Bearer {issuer.mint(HA_NOI, [Role.SUBMITTER], units=[HOAN_KIEM])}"
    }
    refusals = {
        "a commune submits as its neighbour": (
            bearer(NEIGHBOUR),
            submission(HOAN_KIEM),
            "unit_mismatch",
        ),
        "a reader submits": (
            bearer(HOAN_KIEM, Role.READER),
            submission(HOAN_KIEM),
            "role_required",
        ),
        "a platform submits outside its units": (platform, submission(NEIGHBOUR), "unit_mismatch"),
        "Central submits for a commune": (bearer("VN"), submission(HOAN_KIEM), "role_required"),
    }
    got: dict[str, tuple[int, str]] = {}
    for what, (headers, body, _) in refusals.items():
        response = await system.intake_http.post("/v1/submissions", json=body, headers=headers)
        LEDGER.record(f"HTTP: {what}", response.status_code == 403)
        got[what] = (response.status_code, response.json()["reason"])
    by_platform = await system.intake_http.post(
        "/v1/submissions", json=submission(HOAN_KIEM), headers=platform
    )

    assert got == {what: (403, reason) for what, (_, _, reason) in refusals.items()}
    assert by_platform.status_code == 202, by_platform.text


async def test_acts_need_their_role(start_system: SystemFactory) -> None:
    system = await start_system()
    reader = bearer(HA_NOI, Role.READER)
    grant = {
        "unit": HOAN_KIEM,
        "report_type": "kl226-quarterly",
        "period": "2026-Q3",
        "reason": "x",
    }
    contacts = {"emails": ["vanthu@hoankiem.hanoi.gov.vn"]}
    by_service = clients(system)
    try:
        approve = await by_service["validator"].post(
            f"/v1/approvals/{Q4}/{HOAN_KIEM}", headers=reader
        )
        reopen = await by_service["validator"].post(
            "/v1/lock-exceptions", json=grant, headers=reader
        )
        redirect = await by_service["notifier"].put(
            f"/v1/contacts/{HOAN_KIEM}", json=contacts, headers=reader
        )
        by_approver = await by_service["validator"].post(
            f"/v1/approvals/{Q4}/{HOAN_KIEM}", headers=bearer(HA_NOI, Role.APPROVER)
        )
        by_clerk = await by_service["notifier"].put(
            f"/v1/contacts/{HOAN_KIEM}", json=contacts, headers=bearer(HOAN_KIEM)
        )
    finally:
        for client in by_service.values():
            await client.aclose()
    for what, response in (
        ("a reader approves", approve),
        ("a reader reopens", reopen),
        ("a reader redirects notices", redirect),
    ):
        LEDGER.record(f"HTTP: {what}", response.status_code == 403)

    assert [(r.status_code, r.json()["reason"]) for r in (approve, reopen, redirect)] == [
        (403, "role_required")
    ] * 3
    assert by_approver.status_code == 201, by_approver.text
    assert by_clerk.status_code in (200, 201), by_clerk.text


async def test_the_token_is_checked_before_the_body_is_read_and_the_body_is_bounded(
    start_system: SystemFactory,
) -> None:
    system = await start_system()
    huge = b"{" + b" " * (2 * 1024 * 1024) + b"}"

    anonymous = await system.intake_http.post("/v1/submissions", content=huge)
    too_large = await system.intake_http.post(
        "/v1/submissions", content=huge, headers=bearer(HOAN_KIEM)
    )
    LEDGER.record("HTTP: an anonymous 2 MiB body", anonymous.status_code == 401)

    assert (anonymous.status_code, anonymous.json()["reason"]) == (401, "missing_token")
    assert (too_large.status_code, too_large.json()["reason"]) == (413, "body_too_large")


async def test_a_revoked_token_is_refused_while_the_services_run(
    start_system: SystemFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.identity.keys.STAT_INTERVAL_SECONDS", 0.0)
    system = await start_system()
    issuer = LocalIssuer.of()
    token = issuer.mint(HOAN_KIEM)
    headers = {"Authorization": f"Bearer {token}"}
    before = await system.submit(submission(HOAN_KIEM))

    issuer.revoke(token_id=jwt.decode(token, options={"verify_signature": False})["jti"])
    after = await system.intake_http.post(
        "/v1/submissions", json=submission(HOAN_KIEM), headers=headers
    )
    LEDGER.record("HTTP: a revoked token", after.status_code == 401)

    assert before.status_code == 202
    assert (after.status_code, after.json()["reason"]) == (401, "token_revoked")
    assert after.headers["www-authenticate"].startswith("Bearer")


async def test_a_webhook_cannot_point_inside(start_system: SystemFactory) -> None:
    system = await start_system()
    inside = {
        "http://169.254.169.254/latest/meta-data": "webhook_host_link_local",
        "http://127.0.0.1:8080/": "webhook_host_loopback",
        "http://10.0.0.5/hook": "webhook_host_private",
        "http://[::1]/": "webhook_host_loopback",
        "http://0x7f000001/": "webhook_host_odd_notation",
    }
    got = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.notifier.app()), base_url="http://notifier"
    ) as notifier:
        for url in inside:
            body = {"emails": [], "webhook_url": url, "webhook_secret": "s" * 32}
            response = await notifier.put(
                f"/v1/contacts/{HOAN_KIEM}", json=body, headers=bearer(HOAN_KIEM)
            )
            LEDGER.record(f"HTTP: a webhook at {url}", response.status_code == 400)
            got[url] = (response.status_code, response.json()["reason"])

    assert got == {url: (400, reason) for url, reason in inside.items()}
