"""The pieces NATS permissions are built from: their shapes, inbox prefixes and API subjects.

:mod:`shared.nats_permissions` says what each identity may publish and subscribe to; this
module holds what those lists are made of: the shapes of a grant (:class:`Rules`,
:class:`Permissions`, :class:`Responses`), the :class:`Unit` a grant names, each user's own
inbox prefix, the check that a code is one subject token, and the JetStream API subjects a
client sends to use a stream or a consumer, put together into a service's grant.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from shared import subjects

# Each identity's own inbox prefix. Not ``_INBOX.<key>``: anyone granted the default ``_INBOX.>``
# would then read every identity's replies. The key is the user's public key, which a
# connection proves it holds, so no one can take another's inbox by choosing a name.
INBOX_PREFIX = "_INBOX_"

CLOCK_STREAM = f"KV_{subjects.CLOCK_BUCKET}"
CLOCK_KEY_SUBJECT = f"$KV.{subjects.CLOCK_BUCKET}.schedule"


@dataclass(frozen=True, order=True)
class Unit:
    """A reporting unit as its subjects name it: province code (2 digits) and unit code (5
    digits for a commune, the province's own code for a province)."""

    province: str
    code: str

    def __post_init__(self) -> None:
        single_token(self.province)
        single_token(self.code)


@dataclass(frozen=True)
class Rules:
    """Subjects allowed, then subjects denied among them. Both empty would mean *everything*
    to NATS, so :data:`NOTHING` says nothing explicitly."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


NOTHING = Rules(deny=(">",))


@dataclass(frozen=True)
class Responses:
    """Replies a user may send to requests it received, whatever their reply subject."""

    max_messages: int
    ttl_seconds: float


@dataclass(frozen=True)
class Permissions:
    publish: Rules = NOTHING
    subscribe: Rules = NOTHING
    responses: Responses | None = None


def inbox_prefix(user_public_key: str) -> str:
    """The inbox prefix a user must connect with: ``nats.connect(inbox_prefix=...)``."""
    return f"{INBOX_PREFIX}{single_token(user_public_key)}"


def user_claims_of_creds(creds: str) -> dict[str, Any]:
    """The claims of the user JWT in ``.creds`` file text (unverified: our own file)."""
    lines = creds.splitlines()
    for index, line in enumerate(lines[:-1]):
        if "BEGIN NATS USER JWT" in line:
            payload = lines[index + 1].strip().split(".")[1]
            claims: dict[str, Any] = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
            return claims
    raise ValueError("no user JWT in these credentials")


def inbox_prefix_of_creds(creds: str) -> str:
    """The inbox prefix for the user whose ``.creds`` file text this is (its JWT's subject)."""
    return inbox_prefix(str(user_claims_of_creds(creds)["sub"]))


def own_inbox(inbox: str) -> str:
    """Every subject under ``inbox``: where a user's replies (PubAcks, answers) come back."""
    return f"{single_token(inbox)}.>"


def bound_consumer(stream: str, durable: str) -> tuple[str, ...]:
    """What a pull consumer bound to a provisioned durable sends: never a create."""
    return (
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    )


def ordered_consumers(stream: str) -> tuple[str, ...]:
    """Creating ephemeral ordered consumers on ``stream``, and answering their flow control."""
    # Five tokens exactly: the legacy ephemeral endpoint. The newer
    # $JS.API.CONSUMER.CREATE.<stream>.<name>[.<filter>] also creates durables.
    return (f"$JS.API.CONSUMER.CREATE.{stream}", f"$JS.FC.{stream}.>")


def message_get(stream: str) -> str:
    """Reading one message of ``stream`` by sequence or by last-for-subject."""
    return f"$JS.API.STREAM.MSG.GET.{stream}"


def service_grant(
    inbox: str,
    *,
    durables: tuple[tuple[str, str], ...],
    publishes: tuple[str, ...],
    subscribes: tuple[str, ...] = (),
    responses: Responses | None = None,
    shared_clock: bool,
) -> Permissions:
    """A service's grant: what it publishes and subscribes to besides its own inbox, the API
    calls of the durables it binds to, and following the shared clock if it does."""
    streams = sorted({stream for stream, _ in durables})
    return Permissions(
        publish=Rules(
            allow=(
                *publishes,
                *(api for stream, durable in durables for api in bound_consumer(stream, durable)),
                *(message_get(stream) for stream in streams),
                *(clock_follower() if shared_clock else ()),
            )
        ),
        subscribe=Rules(allow=(*subscribes, own_inbox(inbox))),
        responses=responses,
    )


def clock_follower() -> tuple[str, ...]:
    """Reading and watching the shared clock bucket (tests and the simulated round only): bind
    to it (``js.key_value``, not ``create_key_value``), read the schedule (direct get where the
    bucket allows it), watch the key."""
    return (
        f"$JS.API.STREAM.INFO.{CLOCK_STREAM}",
        f"$JS.API.DIRECT.GET.{CLOCK_STREAM}.{CLOCK_KEY_SUBJECT}",
        message_get(CLOCK_STREAM),
        *ordered_consumers(CLOCK_STREAM),
        # The watcher asks its consumer how much is pending before the first update.
        f"$JS.API.CONSUMER.INFO.{CLOCK_STREAM}.*",
    )


def single_token(value: str) -> str:
    """``value``, refused unless it is one subject token: a code like ``01.*`` or ``>`` would
    widen a grant to other units."""
    if not value or any(c in value for c in ".*> \t\r\n") or not value.isprintable():
        raise ValueError(f"not a single subject token: {value!r}")
    return value
