"""Asking the validator for a dry-run verdict, over NATS request-reply."""

from __future__ import annotations

from nats.aio.client import Client

from services.intake.usecases.ports import ValidatorUnavailable
from shared import subjects
from shared.schemas import Verdict

DRY_RUN_TIMEOUT_SECONDS = 5.0


class DryRunClient:
    def __init__(self, connection: Client) -> None:
        self._connection = connection

    async def judge(self, body: bytes, unit: str) -> Verdict:
        try:
            reply = await self._connection.request(
                subjects.dry_run(unit), body, timeout=DRY_RUN_TIMEOUT_SECONDS
            )
        except Exception as error:  # no responders, a timeout, a lost connection
            raise ValidatorUnavailable(repr(error)) from error
        failure = (reply.headers or {}).get(subjects.DRY_RUN_ERROR_HEADER)
        if failure is not None:
            raise ValidatorUnavailable(failure)
        return Verdict.model_validate_json(reply.data)
