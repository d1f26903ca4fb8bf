"""The event contract as an AsyncAPI 3.0 document, rendered by FastStream.

The running consumers are nats-py pull consumers (``shared.consuming.BatchConsumer``, for the
acknowledgement policy it documents), so FastStream cannot discover them. Each channel is
declared here instead, with the subject, stream, durable name and payload model the services
use: the subjects come from ``shared.subjects``, the durables from each service's consumer
module, the payloads are the pydantic models in ``shared.schemas``. The declared handlers are
never run; ``tests/unit/test_contracts.py`` checks that every consumer the services start is
declared here, so the document cannot silently fall behind the code.
"""

from __future__ import annotations

from typing import Any

from faststream.nats import JStream, NatsBroker, PullSub
from faststream.specification import AsyncAPI

from services.aggregator.entrypoints.consumer import DURABLE as AGGREGATOR
from services.notifier.entrypoints.consumers import ACCEPTED_DURABLE, REJECTED_DURABLE
from services.validator.entrypoints.consumer import DURABLE as VALIDATOR
from shared import subjects
from shared.schemas import Notice, NoticeDeadLettered, Submission, Verdict

TITLE = "Baocao events"
VERSION = "1.0.0"
EVENT_HEADERS = (
    " Every event Baocao publishes carries CloudEvents 1.0 attributes as NATS headers (binary"
    " mode: ce-specversion, ce-id, ce-source, ce-type, ce-time, ce-subject; content-type is the"
    " data content type), a W3C traceparent header, and Nats-Msg-Id equal to ce-id, which the"
    " stream uses to drop duplicates within its two-minute window."
)

REPORT_SUBJECT = "{province}.{unit}"


def broker() -> NatsBroker:
    """A broker that declares every channel; it is never connected."""
    declared = NatsBroker(
        "nats://127.0.0.1:4222",
        description="NATS JetStream: streams REPORTS (reports.>), NOTIFY (notify.>) and"
        " ROLLUPS (rollups.>, the live feed).",
    )
    reports = JStream(subjects.REPORTS_STREAM, declare=False)
    notify = JStream(subjects.NOTIFY_STREAM, declare=False)
    rollups = JStream(subjects.ROLLUPS_STREAM, declare=False)

    @declared.subscriber(
        f"{subjects.SUBMITTED}.{REPORT_SUBJECT}",
        stream=reports,
        durable=VALIDATOR,
        pull_sub=PullSub(256),
        title=f"{VALIDATOR}: {subjects.SUBMITTED}",
        description="The validator judges each submission against the catalog and the"
        " registry, records one verdict per submission id, and publishes it. Local systems"
        " publish here directly (Nats-Msg-Id = submission_id), or intake does on their behalf.",
    )
    async def validator(body: Submission) -> None: ...

    @declared.subscriber(
        f"{subjects.ACCEPTED}.{REPORT_SUBJECT}",
        stream=reports,
        durable=AGGREGATOR,
        pull_sub=PullSub(256),
        title=f"{AGGREGATOR}: {subjects.ACCEPTED}",
        description="The aggregator folds each unit's latest accepted report into its"
        " province's rollup; Central is summed from the 34 province rows.",
    )
    async def aggregator(body: Verdict) -> None: ...

    @declared.subscriber(
        f"{subjects.ACCEPTED}.{REPORT_SUBJECT}",
        stream=reports,
        durable=ACCEPTED_DURABLE,
        pull_sub=PullSub(256),
        title=f"{ACCEPTED_DURABLE}: {subjects.ACCEPTED}",
        description="The notifier cancels unsent reminders and escalations about a unit"
        " whose report has now been accepted.",
    )
    async def notifier_accepted(body: Verdict) -> None: ...

    @declared.subscriber(
        f"{subjects.REJECTED}.{REPORT_SUBJECT}",
        stream=reports,
        durable=REJECTED_DURABLE,
        pull_sub=PullSub(256),
        title=f"{REJECTED_DURABLE}: {subjects.REJECTED}",
        description="The notifier tells the submitting unit, on notify.<unit>, why its"
        " report was rejected.",
    )
    async def notifier_rejected(body: Verdict) -> None: ...

    publishers: list[tuple[str, Any, str, str, JStream]] = [
        (
            f"{subjects.SUBMITTED}.{REPORT_SUBJECT}",
            Submission,
            "intake: reports.submitted",
            "A report received over HTTP, stored exactly as sent. ce-type"
            " vn.gov.baocao.report.submitted.v1, ce-subject the submission id.",
            reports,
        ),
        (
            f"{subjects.ACCEPTED}.{REPORT_SUBJECT}",
            Verdict,
            "validator: reports.accepted",
            "An accepted report with its values and timeliness. ce-type"
            " vn.gov.baocao.report.accepted.v1, ce-id <submission_id>:verdict.",
            reports,
        ),
        (
            f"{subjects.REJECTED}.{REPORT_SUBJECT}",
            Verdict,
            "validator: reports.rejected",
            "A rejected report with every reason (code, indicator, Vietnamese and English"
            " message). ce-type vn.gov.baocao.report.rejected.v1.",
            reports,
        ),
        (
            f"{subjects.NOTIFY}.{{unit}}",
            Notice,
            "notifier: notify",
            "Reminders, escalations and rejection notices for a unit; always on, whatever"
            " other channels a unit has. ce-type vn.gov.baocao.notice.<stage>.v1.",
            notify,
        ),
        (
            f"{subjects.DEAD_LETTER}.{{consumer}}",
            bytes,
            "any consumer: reports.deadletter",
            "A message a consumer could not use, with its original bytes; headers"
            " Baocao-Reason, Baocao-Detail, Baocao-Original-Subject and"
            " Baocao-Original-Sequence say why and where it came from. ce-type"
            " vn.gov.baocao.message.deadlettered.v1.",
            reports,
        ),
        (
            f"{subjects.NOTIFY_DEAD_LETTER}.{{unit}}",
            NoticeDeadLettered,
            "notifier: notify.deadletter",
            "A notice given up on one channel (e-mail or webhook) after every attempt, or"
            " refused for good; it still went out on notify.<unit>. For operators: fix the"
            " unit's contacts.",
            notify,
        ),
        (
            f"{subjects.ROLLUPS_UPDATED}.{{report_type}}.{{period}}.{{unit}}",
            dict,
            "aggregator: rollups.updated",
            "The new state of a province's rollup (unit = province code) or the nation's (VN)"
            " after a change: the read API's body without children, plus updated_at. Central"
            " subscribes to rollups.updated.> for every province, or rollups.updated.*.*.01 for"
            " one. ce-type vn.gov.baocao.rollup.updated.v1, ce-subject"
            " <report_type>/<period>/<unit>; header Baocao-Content-Hash. Stream ROLLUPS"
            " (rollups.>, kept one day).",
            rollups,
        ),
    ]
    for subject, schema, title, description, stream in publishers:
        declared.publisher(
            subject,
            stream=stream,
            schema=schema,
            title=title,
            description=description + EVENT_HEADERS,
        )
    return declared


def document() -> str:
    specification = AsyncAPI(
        broker(),
        title=TITLE,
        version=VERSION,
        description="The NATS subjects through which Baocao's services and the local systems"
        " of communes and provinces exchange reports, verdicts and notices.",
        schema_version="3.0.0",
    ).to_specification()
    return specification.to_json()
