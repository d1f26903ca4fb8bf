"""Keying a commune's paper report on its behalf: who is offered the form, the reason they
give, and the ``keyed_by`` mark the envelope carries. Pure: no I/O.

Intake decides (the caller's unit must oversee the commune, ``keyed_by`` must name the caller);
this only offers the form to people who could be allowed, and refuses a reason intake would.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from shared.schemas import KEYED_REASON_MAX_CHARS

CENTRAL = "VN"
SUBMITTER = "submitter"
REASON_MAX_CHARS = KEYED_REASON_MAX_CHARS
PERSON_PREFIX = "person:"
_PROVINCE = re.compile(r"[0-9]{2}")


def oversees_communes(person_unit: str) -> bool:
    """A province (two digits) or Central: the units above communes."""
    return person_unit == CENTRAL or _PROVINCE.fullmatch(person_unit) is not None


def may_key_communes(person_unit: str, roles: Collection[str]) -> bool:
    return SUBMITTER in roles and oversees_communes(person_unit)


def may_key(person_unit: str, roles: Collection[str], unit: str) -> bool:
    """Whether ``unit``'s form is offered to this person as a keying form: they submit for a
    province or Central and the form is another unit's. Whether the commune is theirs is
    intake's to say."""
    return unit != person_unit and may_key_communes(person_unit, roles)


@dataclass(frozen=True)
class Keyer:
    """Who keys the report: the unit they act for and their token's subject."""

    unit: str
    person: str


@dataclass(frozen=True)
class ReadReason:
    text: str
    problem: str | None = None  # "reason_missing" or "reason_too_long"


def read_reason(typed: str) -> ReadReason:
    """The reason as stored (NFC, trimmed), or what is wrong with it."""
    text = unicodedata.normalize("NFC", typed).strip()
    if not text:
        return ReadReason(text, "reason_missing")
    if len(text) > REASON_MAX_CHARS:
        return ReadReason(text, "reason_too_long")
    return ReadReason(text)


def keyed_by(keyer: Keyer, reason: str) -> dict[str, Any]:
    """The envelope's ``keyed_by`` member."""
    return {"unit": keyer.unit, "person": keyer.person, "reason": reason}


def person_shown(subject: str) -> str:
    """A token subject as a page shows it: a local account's ``person:hanoi`` as ``hanoi``."""
    return subject.removeprefix(PERSON_PREFIX) or subject
