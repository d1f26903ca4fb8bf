"""A report that came through an edge while the hub heard nothing from it is judged by the time
its unit signed it (services/validator/domain/verdicts.py, offline_time.py); every other report
by its receipt. The verdict says which, and why."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.validator.domain.incoming import IncomingSubmission
from services.validator.domain.offline_time import QuietSpell
from services.validator.domain.signatures import SigningRegistry
from services.validator.domain.verdicts import verdict_for
from shared.catalog import Catalog
from shared.catalog.model import Level
from shared.registry import Registry
from shared.registry.seed import units_from_package
from shared.schemas import Verdict
from shared.signing import sign
from tests.integration.system import kl226_values
from tests.unit.test_signatures import KEY, REGISTRY, UNIT, body, encoded, registry_of, unit_key

CATALOG = Catalog.load()
UNITS = Registry(units_from_package())
REPORT = CATALOG.get("kl226-quarterly")
assert REPORT is not None
RULE = REPORT.level_rule(Level.COMMUNE)
assert RULE is not None
WINDOW = REPORT.offline_window
DEADLINE = RULE.deadline.on_time_until(REPORT.period_of("2026-Q4"))
SIGNED = DEADLINE - timedelta(hours=1)
BACK = DEADLINE + timedelta(hours=40)  # the link came back 40 hours after the deadline
RECEIVED = BACK + timedelta(seconds=6)
# The hub last heard from the edge three hours before the deadline.
SPELL = QuietSpell(DEADLINE - timedelta(hours=3), BACK, "edge")


def report(signed_at: datetime = SIGNED, key: Ed25519PrivateKey = KEY) -> bytes:
    document = {**body(), "values": dict(kl226_values())}
    return encoded(sign(document, key, "k1", signed_at))


def verdict(
    data: bytes,
    *,
    via_edge: bool = True,
    received_at: datetime = RECEIVED,
    spells: tuple[QuietSpell, ...] = (SPELL,),
    signing: SigningRegistry | None = REGISTRY,
) -> Verdict:
    message = IncomingSubmission(
        f"reports.submitted.01.{UNIT}", data, None, 7, received_at, via_edge=via_edge
    )
    return verdict_for(
        message,
        catalog=CATALOG,
        registry=UNITS,
        received_at=received_at,
        signing=signing,
        spells={UNIT: spells},
    )


def test_signed_before_the_deadline_in_a_recorded_silence_is_on_time() -> None:
    judged = verdict(report())

    assert (judged.status, judged.timeliness) == ("accepted", "on_time")
    assert judged.counted_from is not None
    assert (judged.counted_from.at, judged.counted_from.basis) == (SIGNED, "signed")
    assert judged.counted_from.grounds == "offline"
    assert (judged.counted_from.quiet_from, judged.counted_from.quiet_until) == (
        SPELL.began,
        SPELL.ended,
    )
    assert judged.received_at == RECEIVED  # the receipt is kept beside it


def test_signed_after_the_deadline_in_the_same_silence_is_late() -> None:
    judged = verdict(report(signed_at=DEADLINE + timedelta(hours=2)))

    assert (judged.status, judged.timeliness) == ("accepted", "late")
    assert judged.counted_from is not None
    assert judged.counted_from.basis == "signed"


def test_the_same_report_published_to_the_hub_directly_counts_from_its_receipt() -> None:
    judged = verdict(report(), via_edge=False)

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert (judged.counted_from.basis, judged.counted_from.grounds) == (
        "received",
        "no_quiet_spell",
    )


def test_without_a_silence_recorded_by_the_hub_the_receipt_counts() -> None:
    judged = verdict(report(), spells=())

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "no_quiet_spell"


def test_a_claim_of_signing_before_the_hub_last_heard_from_the_edge_is_not_honoured() -> None:
    judged = verdict(report(signed_at=SPELL.began - timedelta(minutes=1)))

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "no_quiet_spell"


def test_received_beyond_the_offline_window_counts_from_its_receipt() -> None:
    late_back = SIGNED + WINDOW + timedelta(minutes=1)
    long_spell = QuietSpell(SPELL.began, late_back, "edge")

    judged = verdict(report(), received_at=late_back, spells=(long_spell,))

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "beyond_offline_window"


def test_an_unsigned_report_through_an_edge_counts_from_its_receipt() -> None:
    judged = verdict(encoded({**body(), "values": dict(kl226_values())}))

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "not_signed"


def test_a_signature_that_does_not_stand_earns_no_signed_time() -> None:
    judged = verdict(report(key=Ed25519PrivateKey.generate()))

    assert judged.status == "rejected"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "not_signed"


def test_without_the_signing_registry_no_signed_time_is_honoured() -> None:
    judged = verdict(report(), signing=None)

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "not_signed"


# --- signed in a clerk's browser ------------------------------------------------------------

BROWSER = "web-AbCdEfGhIjKlMnOpQrStUv"
BROWSER_KEY = Ed25519PrivateKey.generate()
WITH_BROWSER = registry_of(unit_key(), unit_key(BROWSER_KEY, key_id=BROWSER))
# The hub last heard from the browser three hours before the deadline, and next when it came
# back, forty hours after.
BROWSER_SPELL = QuietSpell(DEADLINE - timedelta(hours=3), BACK, "web")


def from_browser(
    signed_at: datetime = SIGNED, spells: tuple[QuietSpell, ...] = (BROWSER_SPELL,)
) -> Verdict:
    document = {**body(), "values": dict(kl226_values())}
    data = encoded(sign(document, BROWSER_KEY, BROWSER, signed_at))
    message = IncomingSubmission(f"reports.submitted.01.{UNIT}", data, None, 8, RECEIVED)
    return verdict_for(
        message,
        catalog=CATALOG,
        registry=UNITS,
        received_at=RECEIVED,
        signing=WITH_BROWSER,
        device_spells={(UNIT, BROWSER): spells},
    )


def test_a_browser_that_signed_before_the_deadline_while_out_of_touch_is_on_time() -> None:
    judged = from_browser()

    assert (judged.status, judged.timeliness) == ("accepted", "on_time")
    assert judged.counted_from is not None
    assert (judged.counted_from.basis, judged.counted_from.grounds) == ("signed", "offline")


def test_a_browser_not_heard_from_since_it_signed_counts_from_its_signed_time() -> None:
    judged = from_browser(spells=(QuietSpell(SPELL.began, None, "web"),))

    assert judged.timeliness == "on_time"
    assert judged.counted_from is not None
    assert judged.counted_from.quiet_until is None


def test_a_browser_heard_from_after_the_time_it_claims_is_judged_by_its_receipt() -> None:
    # It was in touch at BACK - 20 h, after the claimed signing: it would have sent it then.
    spells = (
        QuietSpell(SPELL.began, BACK - timedelta(hours=20), "web"),
        QuietSpell(BACK - timedelta(hours=20), BACK, "web"),
    )

    judged = from_browser(spells=spells)

    assert judged.timeliness == "late"
    assert judged.counted_from is not None
    assert judged.counted_from.grounds == "no_quiet_spell"


def test_a_browsers_silence_vouches_for_nothing_signed_by_the_units_own_system() -> None:
    # The unit's system key, sent straight to the hub: the browser's silence is not its link.
    judged = verdict(report(), via_edge=False, spells=())

    assert judged.counted_from is not None
    assert judged.counted_from.basis == "received"
