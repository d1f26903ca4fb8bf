"""The commune form signs offline in the browser (issue 17, point 2): the page online makes and
registers this browser's own Ed25519 key (WebCrypto, not extractable) and tells the hub it is
there; a report sent with no network is signed there, listed "Ký lúc …", and, when the link
returns, goes after the device's presence, byte for byte, and is accepted with its signature.

The browser's canonical JSON and its reading of typed figures are checked against the Python
that the validator and the web app use, in the real Chromium.

The services run on the shared clock (conftest: 2026-12-10, advancing): the browser's clock is
set to it, as a commune's device clock would be right, so that its signed time falls after its
key's registration. Phường Hoàn Kiếm (00070) sends lg2-monthly 2026-12, as test_offline_form."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import nats
import pytest
from playwright.sync_api import Page, expect

from services.web.domain.report_form import NumberError, json_number, parse_number
from shared.clock import ScheduledClock
from shared.clock_sync import clock_bucket, read_schedule
from shared.periods import VIETNAM
from shared.signing import canonical_form
from tests.browser.conftest import Baocao, SignIn
from tests.browser.test_offline_form import FORM, UNIT, _cut, _fill, _history, _restore

pytestmark = pytest.mark.browser

SIGNED = re.compile(r"^\d{2}:\d{2} \d{2}/\d{2}/\d{4}$")  # HH:MM dd/mm/yyyy, Vietnam time
DOCUMENTS: list[dict[str, Any]] = [
    {
        "submission_id": "8a0c3f1e-5b7d-4e21-9c3a-2f6d8e9b1a04",
        "report_type": "kl226-quarterly",
        "period": "2026-Q4",
        "unit": "00070",
        "values": {"docs_issued": 80, "conference_budget_planned": 50.5, "spent": 40.25},
        "signed_at": "2026-12-03T09:12:44+07:00",
    },
    {
        "zeta": "Phường Hoàn Kiếm — báo cáo quý",
        "Ålpha": 'Ủy ban nhân dân «thành phố»\n\t"trích" \\ \u0007',
        "alpha": [1, 0, -0.0, 1e21, 1e-7, 123456789012345, 0.1, 97.5, True, False, None],
        "\U0001f600": "emoji key after BMP keys by UTF-16",
        "\ufb01": "ligature key",
        "nested": {"b": {"d": 4, "c": [{"y": 2, "x": 1}]}, "a": {}, "": []},
        "10": "ten",
        "9": "nine",
    },
]
TYPED = [
    ("1.234,5", "decimal"),
    ("1,234.5", "decimal"),
    ("1234,5", "decimal"),
    ("0,75", "decimal"),
    ("1,234", "integer"),
    ("1,234", "decimal"),
    ("1.234", "decimal"),
    ("1.234", "integer"),
    ("40.25", "decimal"),
    ("50,50", "decimal"),
    ("1.234.567", "integer"),
    ("12,0", "integer"),
    ("97,0", "decimal"),
    ("-3", "integer"),
    ("-0", "decimal"),
    (" 1 234 ", "integer"),
    ("１２３", "integer"),
    ("\u00a01\u202f000,5", "decimal"),
    ("+7", "integer"),
    ("", "decimal"),
    ("12,5", "integer"),
    ("1.23.4", "decimal"),
    ("1,2,3", "integer"),
    ("abc", "decimal"),
    ("1.2.3,4", "decimal"),
    ("0.1000000000000000055", "decimal"),
    ("0.30000000000000004", "decimal"),
    ("123456789012345.6", "decimal"),
    ("9007199254740993", "integer"),
    ("1.0000000000000001", "decimal"),
]


def _python_reading(text: str, kind: str) -> object:
    """What the web app sends for ``text``: a JSON number, None when blank, "refused"."""
    try:
        value = parse_number(text, kind)
        return None if value is None else json_number(value)
    except NumberError:
        return "refused"


def _system_now(baocao: Baocao) -> datetime:
    """The services' shared clock, now."""

    async def read() -> datetime:
        stack = baocao.stack
        connection = await nats.connect(stack.nats_url, **stack.nats_identities.options("ops"))
        try:
            segments = await read_schedule(await clock_bucket(connection.jetstream()))
        finally:
            await connection.close()
        return ScheduledClock(segments).now()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def _rows(baocao: Baocao, query: str, *args: object) -> list[dict[str, Any]]:
    """Rows of the hub's database, read as its owner."""

    async def read() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(baocao.stack.database_url)
        try:
            rows = await connection.fetch(query, *args)
        finally:
            await connection.close()
        return [dict(r) for r in rows]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_the_browsers_canonical_json_is_the_validators(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hoankiem")
    page.goto(baocao.url(FORM))
    made = page.evaluate("docs => docs.map((d) => baocaoSigning.canonical(d))", DOCUMENTS)
    assert [m.encode() for m in made] == [canonical_form(d) for d in DOCUMENTS]
    # The decimals a form carries sign alike whichever side writes them.
    assert canonical_form({"v": Decimal("50.50")}) == b'{"v":50.5}'


def test_the_browser_reads_typed_figures_as_the_web_app_does(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hoankiem")
    page.goto(baocao.url(FORM))
    read = page.evaluate(
        """typed => typed.map(([text, kind]) => {
            const n = baocaoSigning.readNumber(text, kind);
            return n === undefined ? "refused" : n;
        })""",
        [list(t) for t in TYPED],
    )
    expected = [_python_reading(text, kind) for text, kind in TYPED]
    # Where the web app sends a number, the browser signs the same one; where it refuses, the
    # browser does not sign (the report waits unsigned and the web app says why when sent).
    # Two the web app accepts are past what a double holds for a safe integer: not signed.
    for (text, kind), browser, python in zip(TYPED, read, expected, strict=True):
        if text == "9007199254740993":
            assert browser == "refused"
            continue
        assert browser == python, (text, kind)


def _open_online(baocao: Baocao, page: Page) -> str:
    """The form opened online with the browser's clock on the services' own: the device key
    made, registered and shown; the worker in control. The key id."""
    # The key is registered where the clerk lands (their form); then the clock is set.
    expect(page.locator("#outbox-device")).to_contain_text("web-")
    page.context.clock.install(time=_system_now(baocao))
    page.goto(baocao.url(FORM))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    line = page.locator("#outbox-device")
    expect(line).to_be_visible()
    expect(line).to_contain_text("Thiết bị này ký báo cáo khi mất mạng (khoá web-")
    match = re.search(r"web-[A-Za-z0-9_-]{22}", line.inner_text())
    assert match is not None
    return match.group(0)


def test_a_report_signed_offline_is_accepted_with_its_signed_time(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hoankiem")
    key_id = _open_online(baocao, page)
    registered = _rows(
        baocao,
        "SELECT public_key FROM unit_signing_keys WHERE unit = $1 AND key_id = $2",
        UNIT,
        key_id,
    )
    assert len(registered) == 1
    # The hub heard from it, as it will every minute while the page is open and online.
    heard = "SELECT count(*) AS n FROM device_presence WHERE unit = $1 AND key_id = $2"
    assert _rows(baocao, heard, UNIT, key_id)[0]["n"] >= 1
    # The private key never leaves the browser: not extractable.
    assert page.evaluate(
        """() => new Promise((resolve) => {
            const opening = indexedDB.open("baocao-outbox");
            opening.onsuccess = () => {
                const get = opening.result.transaction("keys").objectStore("keys").get("00070");
                get.onsuccess = () => resolve([get.result.privateKey.extractable,
                                                get.result.privateKey.algorithm.name]);
            };
        })"""
    ) == [False, "Ed25519"]

    context = page.context
    _cut(context)
    _fill(page)
    page.get_by_role("button", name="Gửi báo cáo").click()
    waiting = page.locator("#outbox-list > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_attribute("data-state", "waiting")
    expect(waiting).to_contain_text("Chờ gửi")
    expect(waiting.locator(".outbox-signed")).to_contain_text(re.compile("^ký lúc", re.I))
    stamp = waiting.locator(".outbox-signed time")
    expect(stamp).to_have_text(SIGNED)
    signed_at = str(stamp.get_attribute("datetime"))
    shown = datetime.strptime(stamp.inner_text(), "%H:%M %d/%m/%Y")
    in_vietnam = datetime.fromisoformat(signed_at).astimezone(VIETNAM).replace(tzinfo=None)
    assert shown == in_vietnam.replace(second=0, microsecond=0)
    submission_id = str(waiting.get_attribute("data-submission"))

    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    _restore(context)
    expect(waiting).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(waiting.locator("code")).to_have_text(submission_id)
    # The hub heard from the device before the report it signed arrived; the report went once.
    sends = [u for u in posted if u.endswith("/submit-signed") or u.endswith("/submit")]
    assert sends == [baocao.url(f"{FORM}/submit-signed")]
    assert posted.index(baocao.url("/device/seen")) < posted.index(sends[0])

    verdict = baocao.wait_for_verdict(submission_id)
    assert verdict["status"] == "accepted", verdict
    [judged] = [s for s in _history(baocao) if s["submission_id"] == submission_id]
    assert judged["status"] == "accepted"
    assert judged["signature"]["key_id"] == key_id
    assert judged["signature"]["alg"] == "Ed25519"
    assert datetime.fromisoformat(judged["signed_at"]) == datetime.fromisoformat(signed_at)
    codes = [r.get("code") for r in [*judged.get("reasons", []), *judged.get("warnings", [])]]
    assert "signature_invalid" not in codes
    assert "signature_missing" not in codes
