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

from collections.abc import Iterable

from shared import subjects
from shared.nats_grants import (
    CLOCK_KEY_SUBJECT,
    CLOCK_STREAM,
    INBOX_PREFIX,
    NOTHING,
    Permissions,
    Responses,
    Rules,
    Unit,
    inbox_prefix,
    inbox_prefix_of_creds,
    message_get,
    ordered_consumers,
    own_inbox,
    service_grant,
    single_token,
)

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


def dry_run(unit: str) -> str:
    """Where a dry run of ``unit``'s report is asked (``baocao.validate.<unit>``)."""
    return subjects.dry_run(single_token(unit))


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
        subscribe=Rules(allow=(*sorted({subjects.notify(u.code) for u in own}), own_inbox(inbox))),
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
        publish=Rules(allow=(f"{subjects.SUBMITTED}.{single_token(province)}.*",)),
        subscribe=Rules(allow=(own_inbox(inbox),)),
    )


def intake(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """Submissions received over HTTP, for any unit; reads back when each was stored; asks
    dry runs for any unit."""
    return service_grant(
        inbox,
        durables=(),
        publishes=(
            f"{subjects.SUBMITTED}.>",
            message_get(subjects.REPORTS_STREAM),
            f"{DRY_RUN_PREFIX}.*",
        ),
        shared_clock=shared_clock,
    )


def validator(
    inbox: str, *, shared_clock: bool = False, provinces: Iterable[str] = ()
) -> Permissions:
    """The only publisher of verdicts; answers dry runs (as a queue group). It reads the
    ``provinces``' landing streams' info, read-only, to record when an edge is silent
    (docs/weak-networks.md)."""
    return service_grant(
        inbox,
        durables=((subjects.REPORTS_STREAM, VALIDATOR_DURABLE),),
        publishes=(
            f"{subjects.ACCEPTED}.>",
            f"{subjects.REJECTED}.>",
            subjects.dead_letter(VALIDATOR_DURABLE),
            *(
                f"$JS.API.STREAM.INFO.{subjects.landing_stream(single_token(p))}"
                for p in sorted(provinces)
            ),
        ),
        subscribes=(f"{DRY_RUN_PREFIX}.*",),
        # Its acks are granted by subject (bound_consumer), so the server tracks reply permissions
        # only for the dry runs it receives, not for every message it pulls.
        responses=Responses(max_messages=1, ttl_seconds=DRY_RUN_ANSWER_SECONDS),
        shared_clock=shared_clock,
    )


def aggregator(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """The only publisher of the live feed; one ephemeral ordered consumer on ROLLUPS per SSE
    client, which it deletes when the client goes."""
    return service_grant(
        inbox,
        durables=((subjects.REPORTS_STREAM, AGGREGATOR_DURABLE),),
        publishes=(
            f"{subjects.ROLLUPS_UPDATED}.>",
            subjects.dead_letter(AGGREGATOR_DURABLE),
            # The feed publisher reads each subject's last update; a feed resumes after a
            # sequence only if the stream still holds it.
            message_get(subjects.ROLLUPS_STREAM),
            f"$JS.API.STREAM.INFO.{subjects.ROLLUPS_STREAM}",
            *ordered_consumers(subjects.ROLLUPS_STREAM),
            f"$JS.API.CONSUMER.INFO.{subjects.ROLLUPS_STREAM}.*",
            f"$JS.API.CONSUMER.DELETE.{subjects.ROLLUPS_STREAM}.*",
        ),
        shared_clock=shared_clock,
    )


def notifier(inbox: str, *, shared_clock: bool = False) -> Permissions:
    """The only publisher of notices (``notify.<unit>``, and ``notify.deadletter.<unit>``)."""
    return service_grant(
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
    return _reader(subjects.rollups_updated("*", "*", single_token(province)), inbox)


def central_reader(inbox: str | None = None) -> Permissions:
    """Central: every province's feed and the nation's (``rollups.updated.>``)."""
    return _reader(f"{subjects.ROLLUPS_UPDATED}.>", inbox)


def ops(inbox: str | None = None) -> Permissions:
    """Operators and their tools (provisioning, rebuild, the simulated clock): everything in
    the BAOCAO account, streams and consumers included."""
    del inbox  # ">" covers any inbox
    return Permissions(publish=Rules(allow=(">",)), subscribe=Rules(allow=(">",)))


def edge_link(province: str, unit: str, inbox: str | None = None) -> Permissions:
    """The user an edge's leaf connection logs in to the hub as, written from the edge's side
    (a leaf connection's publish is what the edge may send into the hub). The hub sources the
    edge's outbox (docs/weak-networks.md): it resets the edge's durable consumer and answers
    its flow control, which acknowledges; the edge pushes on its deliver subject and answers
    the reset on the hub's ``$JSC.R`` inbox (response permissions do not cross a leaf). Nothing
    else: no unit's subject, no verdict, no JetStream API of the hub."""
    del inbox  # a leaf connection has no inbox of its own
    domain_api = f"$JS.{subjects.edge_domain(single_token(unit))}.API"
    return Permissions(
        publish=Rules(
            allow=(subjects.edge_deliver(single_token(province), single_token(unit)), "$JSC.R.>")
        ),
        subscribe=Rules(
            allow=(
                f"{domain_api}.CONSUMER.RESET.{subjects.EDGE_OUTBOX}.{subjects.EDGE_CONSUMER}",
                f"$JS.FC.{subjects.EDGE_OUTBOX}.>",
            )
        ),
    )


# Whoever runs an edge manages its outbox and nothing else. The edge shares the hub's account,
# so these credentials would work on the hub too: they name only the outbox's API (the hub has
# no stream of that name, and creating one that captures another stream's subjects is refused
# as an overlap), and baocao.edge_node mints them for loopback connections only, which at the
# hub no commune can make.
EDGE_ADMIN_NETWORKS = ("127.0.0.0/8", "::1/128")


def edge_admin(inbox: str) -> Permissions:
    """An edge's own JetStream: its outbox and the hub's consumer on it (the server checks
    ``$JS.API`` even when asked through the edge's domain prefix)."""
    outbox, consumer = subjects.EDGE_OUTBOX, subjects.EDGE_CONSUMER
    return Permissions(
        publish=Rules(
            allow=(
                f"$JS.API.STREAM.INFO.{outbox}",
                f"$JS.API.STREAM.CREATE.{outbox}",
                f"$JS.API.STREAM.UPDATE.{outbox}",
                f"$JS.API.STREAM.MSG.GET.{outbox}",
                f"$JS.API.CONSUMER.CREATE.{outbox}.{consumer}",
                f"$JS.API.CONSUMER.INFO.{outbox}.{consumer}",
            )
        ),
        subscribe=Rules(allow=(own_inbox(inbox),)),
    )


def claims_publisher(inbox: str) -> Permissions:
    """A system-account user that pushes updated account JWTs (revocations) to the servers."""
    return Permissions(
        publish=Rules(allow=("$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE")),
        subscribe=Rules(allow=(own_inbox(inbox),)),
    )


def _reader(subject: str, inbox: str | None) -> Permissions:
    allowed = (subject,) if inbox is None else (subject, own_inbox(inbox))
    return Permissions(subscribe=Rules(allow=allowed))


# Besides its own grants, the module keeps the shapes of a grant and the inbox helpers
# (shared.nats_grants) importable from here, where the rest of the code finds them.
__all__ = [
    "AGGREGATOR_DURABLE",
    "CLOCK_KEY_SUBJECT",
    "CLOCK_STREAM",
    "DRY_RUN_ANSWER_SECONDS",
    "DRY_RUN_PREFIX",
    "INBOX_PREFIX",
    "NOTHING",
    "NOTIFIER_ACCEPTED_DURABLE",
    "NOTIFIER_REJECTED_DURABLE",
    "SUBMITS_TAG",
    "UNIT_TAG",
    "UNIT_TEMPLATE",
    "VALIDATOR_DURABLE",
    "Permissions",
    "Responses",
    "Rules",
    "Unit",
    "aggregator",
    "central_reader",
    "claims_publisher",
    "dry_run",
    "inbox_prefix",
    "inbox_prefix_of_creds",
    "intake",
    "notifier",
    "ops",
    "province_platform",
    "province_reader",
    "unit_system",
    "unit_tags",
    "validator",
]
