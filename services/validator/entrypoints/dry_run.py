"""Dry runs: judge a report exactly as the consumer would, store and publish nothing.

Intake forwards ``POST /v1/submissions?dry_run=true`` here by NATS request-reply (DHIS2's
``dryRun``): the judgement, the catalog and the unit's history live in the validator, so a
dry run cannot disagree with the real verdict for the same report at the same time.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.validator.domain.incoming import IncomingSubmission
from services.validator.usecases.validation import ValidationService
from shared import subjects
from shared.decoding import decode_submission
from shared.logging import get_logger
from shared.outages import is_transient

log = get_logger(__name__)


class DryRuns:
    def __init__(self, service: ValidationService) -> None:
        self.service = service
        self._subscription: Subscription | None = None
        self._connection: Client | None = None

    async def start(self, connection: Client) -> None:
        self._connection = connection
        # A queue group: with several validators, each dry run is answered once.
        self._subscription = await connection.subscribe(
            subjects.dry_run("*"), queue=subjects.DRY_RUN_QUEUE, cb=self._answer
        )

    async def _answer(self, request: Msg) -> None:
        unit = request.subject.rpartition(".")[2]
        unit_record = self.service.registry.get(unit)
        province = (unit_record.province if unit_record else None) or "_"
        # Intake asks dry runs for keyed reports only after checking the mark is the caller's,
        # as it does before publishing them; a dry run stores nothing, so a unit asking one
        # with a mark of its own making learns only what the verdict would be.
        message = IncomingSubmission(
            subject=subjects.submitted(province, unit, keyed=_keyed(request.data)),
            data=request.data,
            msg_id=None,
            stream_seq=0,
            stored_at=datetime.now(UTC),
        )
        try:
            [verdict] = await self.service.judge([message])
        except Exception as error:
            reason = "service_unavailable" if is_transient(error) else "dry_run_failed"
            log.warning("dry run failed", unit=unit, error=repr(error))
            assert self._connection is not None
            await self._connection.publish(
                request.reply, b"", headers={subjects.DRY_RUN_ERROR_HEADER: reason}
            )
            return
        await request.respond(verdict.model_dump_json().encode())

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()


def _keyed(data: bytes) -> bool:
    decoded = decode_submission(data)
    return not isinstance(decoded, list) and decoded.keyed_by is not None
