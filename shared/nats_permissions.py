"""Who may publish and subscribe to what on NATS: each identity's permissions, as data.

NATS is closed by default: every connection is a user of the BAOCAO account with a JWT that
lists exactly the subjects it may publish and subscribe to (docs/nats-security.md). This module
only says what those lists are; :mod:`baocao.nats_authority` signs them into credentials.

The lists follow what each process actually sends, JetStream API calls included:
- a JetStream publish is a plain publish whose PubAck comes back on the publisher's inbox;
- a durable pull consumer, already provisioned by ops, takes
  ``$JS.API.CONSUMER.INFO.<stream>.<durable>`` (nats-py binds with it),
  ``$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>`` (fetch), ``$JS.ACK.<stream>.<durable>.>``
  (ack, nak, term) and ``$JS.API.STREAM.MSG.GET.<stream>`` (the lag gauge reads the oldest
  pending message);
- an ordered consumer (the live feed, the clock watch) is created by the legacy endpoint
  ``$JS.API.CONSUMER.CREATE.<stream>``, which the server refuses for durables, and answers
  flow control on ``$JS.FC.<stream>.>``. The endpoint's subject does not carry the filter, so
  the grant is per stream, not per subject; and the server does not check a push consumer's
  deliver subject against its creator's permissions (nats-server issue #8274), so creating
  consumers is granted only to a service, never to a unit or a reader.

No identity but ops may create, update, purge or delete a stream, or create a durable consumer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass

from shared import subjects

# Each identity's own inbox prefix. Not ``_INBOX.<key>``: anyone granted the default ``_INBOX.>``
# would then read every identity's replies. The key is the user's public key, which a
# connection proves it holds, so no one can take another's inbox by choosing a name.
INBOX_PREFIX = "_INBOX_"

# Durable consumers that ops provisions and the services bind to. The services keep their own
# copies (services/*/entrypoints); tests/unit/test_nats_permissions.py holds the two together.
VALIDATOR_DURABLE = "validator"
AGGREGATOR_DURABLE = "aggregator"
NOTIFIER_ACCEPTED_DURABLE = "notifier-accepted"
NOTIFIER_REJECTED_DURABLE = "notifier-rejected"

# A dry run is asked on a subject naming the unit, so that a unit's permission can name it too
# (it used to be one subject, the unit in a header).
DRY_RUN_PREFIX = subjects.DRY_RUN
# How long a validator may answer a dry run it received: well past intake's 5 s timeout.
DRY_RUN_ANSWER_SECONDS = 30.0

CLOCK_STREAM = f"KV_{subjects.CLOCK_BUCKET}"
CLOCK_KEY_SUBJECT = f"$KV.{subjects.CLOCK_BUCKET}.schedule"


def dry_run(unit: str) -> str:
    """Where a dry run of ``unit``'s report is asked (``baocao.validate.<unit>``)."""
    return subjects.dry_run(_token(unit))


@dataclass(frozen=True, order=True)
class Unit:
    """A reporting unit as its subjects name it: province code (2 digits) and unit code (5
    digits for a commune, the province's own code for a province)."""

    province: str
    code: str

    def __post_init__(self) -> None:
        _token(self.province)
        _token(self.code)


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
    return f"{INBOX_PREFIX}{_token(user_public_key)}"


def inbox_prefix_of_creds(creds: str) -> str:
    """The inbox prefix for the user whose ``.creds`` file text this is (its JWT's subject)."""
    lines = creds.splitlines()
    for index, line in enumerate(lines[:-1]):
        if "BEGIN NATS USER JWT" in line:
            payload = lines[index + 1].strip().split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return inbox_prefix(str(claims["sub"]))
    raise ValueError("no user JWT in these credentials")


def unit_system(units: Iterable[Unit], inbox: str) -> Permissions:
    """A local system reporting for ``units``: submits and asks dry runs for them only, hears
    their notices only, and nothing of JetStream but its own PubAcks."""
    own = sorted(set(units))
    if not own:
        raise ValueError("a unit system reports for at least one unit")
    return Permissions(
        publish=Rules(
            allow=(
                *(subjects.submitted(u.province, u.code) for u in own),
                *sorted({dry_run(u.code) for u in own}),
            )
        ),
        subscribe=Rules(allow=(*sorted({subjects.notify(u.code) for u in own}), _own(inbox))),
    )


# The same grant as unit_system, as the template of the account's scoped signing key for units:
# the server fills it in from the user JWT's tags (submits:<province>.<unit>, unit:<unit>) and
# its subject, so whoever holds that key can mint units and nothing else.
SUBMITS_TAG = "submits"
UNIT_TAG = "unit"
UNIT_TEMPLATE = Permissions(
    publish=Rules(
        allow=(
            f"{subjects.SUBMITTED}.{{{{tag({SUBMITS_TAG})}}}}",
            f"{DRY_RUN_PREFIX}.{{{{tag({UNIT_TAG})}}}}",
        )
    ),
    subscribe=Rules(
        allow=(f"{subjects.NOTIFY}.{{{{tag({UNIT_TAG})}}}}", f"{INBOX_PREFIX}{{{{subject()}}}}.>")
    ),
)


def unit_tags(units: Iterable[Unit]) -> tuple[str, ...]:
    """The user JWT tags that make :data:`UNIT_TEMPLATE` grant ``units``."""
    own = sorted(set(units))
    if not own:
        raise ValueError("a unit system reports for at least one unit")
    return (
        *(f"{SUBMITS_TAG}:{u.province}.{u.code}" for u in own),
        *sorted({f"{UNIT_TAG}:{u.code}" for u in own}),
    )


def province_platform(province: str, inbox: str) -> Permissions:
    """A province's platform that submits for every unit of the province (its communes and
    itself): the province's own subtree of ``reports.submitted``, which the subject hierarchy
    makes exactly the province's units. Listing them would not fit: a JWT of a few hundred
    units overflows the server's 4 KB limit on a CONNECT line. It hears no notices (those go
    to each unit's own subject) and asks no dry runs (they name units one by one)."""
    return Permissions(
        publish=Rules(allow=(f"{subjects.SUBMITTED}.{_token(province)}.*",)),
        subscribe=Rules(allow=(_own(inbox),)),
    )


def intake(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """Submissions received over HTTP, for any unit; reads back when each was stored; asks
    dry runs for any unit."""
    return _service(
        inbox,
        durables=(),
        publishes=(
            f"{subjects.SUBMITTED}.>",
            _msg_get(subjects.REPORTS_STREAM),
            f"{DRY_RUN_PREFIX}.*",
        ),
        shared_clock=shared_clock,
    )


def validator(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """The only publisher of verdicts; answers dry runs (as a queue group)."""
    return _service(
        inbox,
        durables=((subjects.REPORTS_STREAM, VALIDATOR_DURABLE),),
        publishes=(
            f"{subjects.ACCEPTED}.>",
            f"{subjects.REJECTED}.>",
            subjects.dead_letter(VALIDATOR_DURABLE),
        ),
        subscribes=(f"{DRY_RUN_PREFIX}.*",),
        # Its acks are granted by subject (_bound), so the server tracks reply permissions
        # only for the dry runs it receives, not for every message it pulls.
        responses=Responses(max_messages=1, ttl_seconds=DRY_RUN_ANSWER_SECONDS),
        shared_clock=shared_clock,
    )


def aggregator(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """The only publisher of the live feed; one ephemeral ordered consumer on ROLLUPS per SSE
    client, which it deletes when the client goes."""
    return _service(
        inbox,
        durables=((subjects.REPORTS_STREAM, AGGREGATOR_DURABLE),),
        publishes=(
            f"{subjects.ROLLUPS_UPDATED}.>",
            subjects.dead_letter(AGGREGATOR_DURABLE),
            # The feed publisher reads each subject's last update; a feed resumes after a
            # sequence only if the stream still holds it.
            _msg_get(subjects.ROLLUPS_STREAM),
            f"$JS.API.STREAM.INFO.{subjects.ROLLUPS_STREAM}",
            *_ordered_consumers(subjects.ROLLUPS_STREAM),
            f"$JS.API.CONSUMER.INFO.{subjects.ROLLUPS_STREAM}.*",
            f"$JS.API.CONSUMER.DELETE.{subjects.ROLLUPS_STREAM}.*",
        ),
        shared_clock=shared_clock,
    )


def notifier(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """The only publisher of notices (``notify.<unit>``, and ``notify.deadletter.<unit>``)."""
    return _service(
        inbox,
        durables=(
            (subjects.REPORTS_STREAM, NOTIFIER_ACCEPTED_DURABLE),
            (subjects.REPORTS_STREAM, NOTIFIER_REJECTED_DURABLE),
        ),
        publishes=(
            f"{subjects.NOTIFY}.>",
            subjects.dead_letter(NOTIFIER_ACCEPTED_DURABLE),
            subjects.dead_letter(NOTIFIER_REJECTED_DURABLE),
        ),
        shared_clock=shared_clock,
    )


def province_reader(province: str, inbox: str | None = None) -> Permissions:
    """A province's own system reading its feed: ``rollups.updated.<type>.<period>.<province>``
    as it is published. Reading the stream's history would need consumer creation, which
    cannot be limited to a filter without also allowing deliver subjects anywhere (see the
    module docstring); the latest figures are on the aggregator's read API and SSE feed."""
    return _reader(subjects.rollups_updated("*", "*", _token(province)), inbox)


def central_reader(inbox: str | None = None) -> Permissions:
    """Central: every province's feed and the nation's (``rollups.updated.>``)."""
    return _reader(f"{subjects.ROLLUPS_UPDATED}.>", inbox)


def ops(inbox: str | None = None) -> Permissions:
    """Operators and their tools (provisioning, rebuild, the simulated clock): everything in
    the BAOCAO account, streams and consumers included."""
    del inbox  # ">" covers any inbox
    return Permissions(publish=Rules(allow=(">",)), subscribe=Rules(allow=(">",)))


def claims_publisher(inbox: str) -> Permissions:
    """A system-account user that pushes updated account JWTs (revocations) to the servers."""
    return Permissions(
        publish=Rules(allow=("$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE")),
        subscribe=Rules(allow=(_own(inbox),)),
    )


def _service(
    inbox: str,
    *,
    durables: tuple[tuple[str, str], ...],
    publishes: tuple[str, ...],
    subscribes: tuple[str, ...] = (),
    responses: Responses | None = None,
    shared_clock: bool,
) -> Permissions:
    streams = sorted({stream for stream, _ in durables})
    return Permissions(
        publish=Rules(
            allow=(
                *publishes,
                *(api for stream, durable in durables for api in _bound(stream, durable)),
                *(_msg_get(stream) for stream in streams),
                *(_clock_follower() if shared_clock else ()),
            )
        ),
        subscribe=Rules(allow=(*subscribes, _own(inbox))),
        responses=responses,
    )


def _bound(stream: str, durable: str) -> tuple[str, ...]:
    """What a pull consumer bound to a provisioned durable sends: never a create."""
    return (
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    )


def _ordered_consumers(stream: str) -> tuple[str, ...]:
    # Five tokens exactly: the legacy ephemeral endpoint. The newer
    # $JS.API.CONSUMER.CREATE.<stream>.<name>[.<filter>] also creates durables.
    return (f"$JS.API.CONSUMER.CREATE.{stream}", f"$JS.FC.{stream}.>")


def _clock_follower() -> tuple[str, ...]:
    """Reading and watching the shared clock bucket (tests and the simulated round only): bind
    to it (``js.key_value``, not ``create_key_value``), read the schedule (direct get where the
    bucket allows it), watch the key."""
    return (
        f"$JS.API.STREAM.INFO.{CLOCK_STREAM}",
        f"$JS.API.DIRECT.GET.{CLOCK_STREAM}.{CLOCK_KEY_SUBJECT}",
        _msg_get(CLOCK_STREAM),
        *_ordered_consumers(CLOCK_STREAM),
        # The watcher asks its consumer how much is pending before the first update.
        f"$JS.API.CONSUMER.INFO.{CLOCK_STREAM}.*",
    )


def _reader(subject: str, inbox: str | None) -> Permissions:
    allowed = (subject,) if inbox is None else (subject, _own(inbox))
    return Permissions(subscribe=Rules(allow=allowed))


def _msg_get(stream: str) -> str:
    return f"$JS.API.STREAM.MSG.GET.{stream}"


def _own(inbox: str) -> str:
    return f"{_token(inbox)}.>"


def _token(value: str) -> str:
    """``value``, refused unless it is one subject token: a code like ``01.*`` or ``>`` would
    widen a grant to other units."""
    if not value or any(c in value for c in ".*> \t\r\n") or not value.isprintable():
        raise ValueError(f"not a single subject token: {value!r}")
    return value
