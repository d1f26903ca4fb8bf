"""An in-memory fake of the report status's read
(:class:`~services.validator.usecases.report_status.ReportStatusRows`), over the same tables
as the validator's other fakes: what InMemoryVerdictStore records, it reads.

tests/integration/contracts/test_report_status_contract.py runs one set of cases against this
fake and against PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from services.validator.domain.report_status import Submitted
from shared.schemas import Verdict
from tests.fakes.validator import InMemoryValidatorTables


class InMemoryReportStatusStore:
    def __init__(self, tables: InMemoryValidatorTables | None = None) -> None:
        self.tables = tables or InMemoryValidatorTables()

    async def of_provinces(
        self, report_type: str, period: str, provinces: Collection[str]
    ) -> list[Submitted]:
        wanted = set(provinces)
        return self._of(report_type, period, lambda v: v.province in wanted)

    async def of_unit(self, report_type: str, period: str, unit: str) -> list[Submitted]:
        return self._of(report_type, period, lambda v: v.unit == unit)

    def _of(
        self, report_type: str, period: str, chosen: Callable[[Verdict], bool]
    ) -> list[Submitted]:
        return [
            submitted(v)
            for v in self.tables.submissions.values()
            if v.report_type == report_type and v.period == period and chosen(v)
        ]


def submitted(verdict: Verdict) -> Submitted:
    """A verdict as the report status reads it: a rejection keeps its reasons, an acceptance
    none (the table's query reads reasons of rejections only)."""
    return Submitted(
        submission_id=verdict.submission_id,
        unit=verdict.unit,
        status=verdict.status,
        timeliness=verdict.timeliness,
        received_at=verdict.received_at,
        stream_seq=verdict.stream_seq,
        reasons=tuple(verdict.reasons) if verdict.status == "rejected" else (),
    )
