"""NATS subjects and JetStream streams: the event contract between services."""

from __future__ import annotations

from datetime import timedelta

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

REPORTS_STREAM = "REPORTS"
NOTIFY_STREAM = "NOTIFY"
ROLLUPS_STREAM = "ROLLUPS"
CLOCK_BUCKET = "BAOCAO_CLOCK"

SUBMITTED = "reports.submitted"
ACCEPTED = "reports.accepted"
REJECTED = "reports.rejected"
NOTIFY = "notify"
ROLLUPS_UPDATED = "rollups.updated"
# Webhook and e-mail notices that failed every attempt, by unit (outside notify.<unit>, which
# units subscribe to with notify.<unit>).
NOTIFY_DEAD_LETTER = "notify.deadletter"
DEAD_LETTER = "reports.deadletter"
# Core NATS request-reply, outside every stream: a dry run stores nothing. The unit is the
# subject's last token, so that a unit's NATS permissions can name its own dry runs.
DRY_RUN = "baocao.validate"
DRY_RUN_QUEUE = "validator"
DRY_RUN_ERROR_HEADER = "Baocao-Error"

# Deduplication by Nats-Msg-Id covers client retries; beyond it, consumers deduplicate by
# submission id in PostgreSQL. Two minutes keeps the server's dedup memory modest.
DUPLICATE_WINDOW = timedelta(minutes=2)


# A paper report keyed on a unit's behalf travels on reports.submitted.<province>.keyed.<unit>:
# only intake may publish there (a unit's and a province platform's grants name one token after
# the province), so the validator can trust the keyed_by mark of what arrives on it and refuse
# the mark on every other subject. The unit stays the last token, as on every report subject.
KEYED = "keyed"


def submitted(province: str, unit: str, *, keyed: bool = False) -> str:
    return f"{SUBMITTED}.{province}.{KEYED}.{unit}" if keyed else f"{SUBMITTED}.{province}.{unit}"


def submitted_parts(subject: str) -> tuple[str, str, bool] | None:
    """(province, unit, keyed) of a ``reports.submitted`` subject, None for any other shape."""
    parts = subject.split(".")
    if len(parts) == 4:
        return parts[2], parts[3], False
    if len(parts) == 5 and parts[3] == KEYED:
        return parts[2], parts[4], True
    return None


# An edge: a nats-server at a commune, leaf node of the hub, with its own JetStream domain and
# an outbox the hub sources from when the link is up (docs/weak-networks.md, ADR 0024).
HUB_DOMAIN = "hub"
EDGE_OUTBOX = "OUTBOX"
EDGE_CONSUMER = "HUB"
# What reaches the hub from an edge lands first in its province's landing stream, every
# subject prefixed with the edge's unit; REPORTS takes only that unit's submissions from it.
LANDED = "landed"


def edge_domain(unit: str) -> str:
    return f"e{unit}"


def edge_api(unit: str) -> str:
    """The JetStream API prefix of the edge of ``unit``, as a landing stream's source names it."""
    return f"$JS.{edge_domain(unit)}.API"


def unit_of_edge_api(api: str) -> str | None:
    """The unit whose edge ``api`` (a source's ``external.api``) reaches; None for another API."""
    unit = api.removeprefix("$JS.e").removesuffix(".API")
    return unit if unit.isdigit() and edge_api(unit) == api else None


def edge_deliver(province: str, unit: str) -> str:
    """Where an edge's outbox consumer pushes its messages over the leaf connection."""
    return f"edge.{province}.{unit}.outbox"


def landing_stream(province: str) -> str:
    return f"IN_{province}"


def landed(unit: str, subject: str = ">") -> str:
    return f"{LANDED}.{unit}.{subject}"


def accepted(province: str, unit: str) -> str:
    return f"{ACCEPTED}.{province}.{unit}"


def rejected(province: str, unit: str) -> str:
    return f"{REJECTED}.{province}.{unit}"


def dry_run(unit: str) -> str:
    return f"{DRY_RUN}.{unit}"


def dead_letter(consumer: str) -> str:
    """Where ``consumer`` parks what it cannot process: the original bytes, with the reason."""
    return f"{DEAD_LETTER}.{consumer}"


def notify(unit: str) -> str:
    return f"{NOTIFY}.{unit}"


def notify_dead_letter(unit: str) -> str:
    return f"{NOTIFY_DEAD_LETTER}.{unit}"


def rollups_updated(report_type: str, period: str, unit: str) -> str:
    """A rollup's new values and completeness: Central subscribes to ``rollups.updated.>`` for
    all provinces, or ``rollups.updated.*.*.01`` for Hà Nội only."""
    return f"{ROLLUPS_UPDATED}.{report_type}.{period}.{unit}"


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    """The streams, each kept on ``replicas`` servers (3 on a production cluster, so that a
    server can be lost or upgraded without the streams becoming unavailable)."""
    # Limits retention keeps every submission (the audit trail and the source for rebuilds);
    # a year and a half covers a reporting year plus its revisions.
    return [
        StreamConfig(
            name=REPORTS_STREAM,
            subjects=["reports.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=int(timedelta(days=550).total_seconds()),
            duplicate_window=int(DUPLICATE_WINDOW.total_seconds()),
            max_msg_size=1024 * 1024,
            discard=DiscardPolicy.OLD,
            num_replicas=replicas,
        ),
        StreamConfig(
            name=NOTIFY_STREAM,
            subjects=["notify.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=int(timedelta(days=90).total_seconds()),
            duplicate_window=int(DUPLICATE_WINDOW.total_seconds()),
            num_replicas=replicas,
        ),
        # The live feed: a day of rollup updates, enough for a browser or a ministry system to
        # resume where it left off (Last-Event-ID is the stream sequence).
        StreamConfig(
            name=ROLLUPS_STREAM,
            subjects=["rollups.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=int(timedelta(days=1).total_seconds()),
            duplicate_window=int(DUPLICATE_WINDOW.total_seconds()),
            num_replicas=replicas,
        ),
    ]
