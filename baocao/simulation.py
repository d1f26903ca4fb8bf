"""A simulated national reporting round, driven through the running system like real communes.

Every commune and province submits ``kl226-quarterly`` for the quarter open now, in waves placed
on the shared clock around the deadlines: most communes days before, stragglers on the last day
after their reminders, some late, some never. A few send invalid reports and correct them, some
correct valid ones, some send the same report twice, and a tenth publish straight onto NATS. An
independent oracle (the latest accepted values per unit, summed here without the system's code)
says what Central's rollup must be.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import nats

from baocao.issuer import LocalIssuer
from baocao.load import kl226_values
from baocao.local_systems import LocalSystems
from baocao.nats_identities import NatsIdentities
from baocao.unit_keys import UnitKeys
from baocao.watching import backlog
from shared import subjects
from shared.catalog import Catalog, Level, ReportType
from shared.clock import ClockSegment
from shared.clock_sync import append_segment
from shared.identity import CENTRAL, Role
from shared.periods import VIETNAM, Period, start_of_day
from shared.registry import Registry, Unit
from shared.workdays import shift_working_days

REPORT_TYPE = "kl226-quarterly"
SEND_ATTEMPTS = 10
INTEGER_FIELDS = (
    "docs_issued",
    "docs_issued_prev_year",
    "conferences_total",
    "conferences_in_person",
    "conferences_online",
    "conferences_over_duration",
    "procedures_total",
    "procedures_online",
    "reports_total",
    "reports_over_network",
)


@dataclass
class Planned:
    unit: Unit
    body: dict[str, Any]
    channel: str  # "http" or "nats"
    valid: bool
    kind: str  # "report", "invalid", "correction", "duplicate"


@dataclass
class Wave:
    name: str
    at: datetime
    submissions: list[Planned] = field(default_factory=list)


@dataclass
class Plan:
    period: Period
    waves: list[Wave]
    final_values: dict[str, dict[str, Any]]
    final_on_time: dict[str, bool]

    def count(self, kind: str) -> int:
        return sum(1 for w in self.waves for p in w.submissions if p.kind == kind)


def plan_round(
    registry: Registry, report_type: ReportType, period: Period, seed: int = 2026
) -> Plan:
    rng = random.Random(seed)
    commune_deadline = report_type.deadline_for(Level.COMMUNE, period)
    province_deadline = report_type.deadline_for(Level.PROVINCE, period)
    assert commune_deadline is not None
    assert province_deadline is not None
    d_c, d_p = commune_deadline.date(), province_deadline.date()
    waves = {
        "main": Wave(
            "communes, days before the deadline",
            start_of_day(d_c - timedelta(days=4)) + timedelta(hours=9),
        ),
        "reminded": Wave(
            "reminders go out", start_of_day(d_c - timedelta(days=1)) + timedelta(hours=8)
        ),
        "last_day": Wave(
            "stragglers and corrections on the last day", start_of_day(d_c) + timedelta(hours=15)
        ),
        "late": Wave(
            "late communes; escalations to provinces",
            start_of_day(shift_working_days(d_c, 1)) + timedelta(hours=9),
        ),
        "central": Wave(
            "Central hears which provinces are behind",
            start_of_day(shift_working_days(d_c, 3)) + timedelta(hours=9),
        ),
        "provinces": Wave(
            "provinces, before their deadline",
            start_of_day(d_p - timedelta(days=1)) + timedelta(hours=9),
        ),
        "late_provinces": Wave(
            "late provinces; escalations to Central",
            start_of_day(shift_working_days(d_p, 1)) + timedelta(hours=9),
        ),
    }
    final_values: dict[str, dict[str, Any]] = {}
    final_on_time: dict[str, bool] = {}

    def body(unit: Unit, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "report_type": report_type.code,
            "period": period.label,
            "unit": unit.code,
            "values": values,
        }

    def add(
        wave: str,
        unit: Unit,
        values: dict[str, Any],
        kind: str = "report",
        valid: bool = True,
        channel: str | None = None,
        same_as: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chosen = channel or ("nats" if rng.random() < 0.1 else "http")
        sent = same_as or body(unit, values)
        waves[wave].submissions.append(Planned(unit, sent, chosen, valid, kind))
        if valid:
            final_values[unit.code] = sent["values"]
            final_on_time[unit.code] = wave not in {"late", "late_provinces"}
        return sent

    day = period.cutoff_end
    for unit in registry.units(Level.COMMUNE, day):
        roll = rng.random()
        if roll < 0.03:
            continue
        if roll < 0.07:
            add("late", unit, kl226_values(rng, 1))
            continue
        wave = "main" if roll < 0.85 else "last_day"
        noise = rng.random()
        if noise < 0.03:
            broken = kl226_values(rng, 1)
            broken["conferences_online"] += 1
            add(wave, unit, broken, kind="invalid", valid=False)
            add("last_day", unit, kl226_values(rng, 1), kind="correction")
        elif noise < 0.06 and wave == "main":
            add(wave, unit, kl226_values(rng, 1))
            add("last_day", unit, kl226_values(rng, 1), kind="correction")
        elif noise < 0.08:
            first = add(wave, unit, kl226_values(rng, 1), channel="http")
            add("last_day", unit, first["values"], kind="duplicate", channel="http", same_as=first)
        else:
            add(wave, unit, kl226_values(rng, 1))
    provinces = registry.provinces(day)
    skipped = set(rng.sample([p.code for p in provinces], 2))
    late = set(rng.sample([p.code for p in provinces if p.code not in skipped], 3))
    for province in provinces:
        if province.code in skipped:
            continue
        add(
            "late_provinces" if province.code in late else "provinces",
            province,
            kl226_values(rng, 5),
        )
    return Plan(period, list(waves.values()), final_values, final_on_time)


@dataclass
class RoundResult:
    plan: Plan
    national: dict[str, Any]
    rejected: Counter[str]
    notices: Counter[str]
    mismatches: list[str]
    receipts: int
    retries: int = 0
    systems: tuple[int, int] = (0, 0)  # over NATS: province platforms, communes' own systems
    signed: int = 0

    @property
    def oracle_holds(self) -> bool:
        return not self.mismatches


def oracle_totals(plan: Plan) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for values in plan.final_values.values():
        for code, value in values.items():
            totals[code] = totals.get(code, Decimal(0)) + Decimal(str(value))
    return totals


def _encode(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(
        body, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)
    ).encode()


class Unavailable(Exception):
    """Intake answered 503: the same request is to be sent again shortly."""


class RoundDriver:
    def __init__(
        self,
        *,
        registry: Registry,
        catalog: Catalog,
        nats_url: str,
        intake_url: str,
        central_url: str,
        issuer: LocalIssuer,
        identities: NatsIdentities,
        progress: Callable[[str], None],
        notifier_url: str | None = None,
        keys: UnitKeys | None = None,
    ) -> None:
        self.notifier_url = notifier_url
        self.registry = registry
        self.catalog = catalog
        self.nats_url = nats_url
        self.intake_url = intake_url
        self.central_url = central_url
        self.issuer = issuer
        self._central = issuer.headers(CENTRAL, [Role.READER])
        self.identities = identities
        self.systems = LocalSystems(nats_url, identities)
        self.systems_seen = (0, 0)
        self.signed = 0  # submissions that went out signed (a unit without a key sends none)
        self.progress = progress
        self.retries = 0  # sends retried after a lost connection, a timeout or a 503
        # Each unit signs with its key beside the issuer's, once per submission: a retry or a
        # duplicate is the same bytes.
        self.keys = keys if keys is not None else UnitKeys.beside(issuer)
        self._bodies: dict[str, bytes] = {}

    async def run(self, period: Period, seed: int = 2026) -> RoundResult:
        report_type = self.catalog.report_types[REPORT_TYPE]
        plan = plan_round(self.registry, report_type, period, seed)
        # The round's own moves (the clock, waiting for the pipeline, the tallies) are an
        # operator's; the reports go through the local systems' own credentials.
        connection = await nats.connect(self.nats_url, **self.identities.options("ops"))
        js = connection.jetstream()
        receipts = 0
        try:
            async with httpx.AsyncClient(
                base_url=self.intake_url, timeout=30, limits=httpx.Limits(max_connections=32)
            ) as client:
                for wave in plan.waves:
                    # A simulated minute per real second: receipts within a wave keep their order.
                    ticks = await self._notifier_ticks()
                    await append_segment(js, ClockSegment(datetime.now(VIETNAM), wave.at, 60.0))
                    await asyncio.sleep(1.5)  # services pick up the new time
                    await self._notifier_ticked_since(ticks)
                    self.progress(
                        f"{wave.at.astimezone(VIETNAM):%d/%m %H:%M} {wave.name}: "
                        f"{len(wave.submissions)} submissions"
                    )
                    receipts += await self._send(wave, client)
                    await self._drain(js)
                await asyncio.sleep(1.5)
            async with httpx.AsyncClient(
                base_url=self.central_url, timeout=30, headers=self._central
            ) as central:
                response = await central.get(f"/v1/rollups/{REPORT_TYPE}/{period.label}")
                national = response.json()
            rejected, notices = await self._tallies(js, period)
        finally:
            self.systems_seen = self.systems.opened
            await self.systems.close()
            await connection.close()
        return RoundResult(
            plan,
            national,
            rejected,
            notices,
            self._compare(plan, national),
            receipts,
            self.retries,
            self.systems_seen,
            self.signed,
        )

    async def _notifier_ticks(self) -> int:
        if self.notifier_url is None:
            return 0
        async with httpx.AsyncClient(
            base_url=self.notifier_url, timeout=10, headers=self._central
        ) as client:
            completed: int = (await client.get("/v1/ticks")).json()["completed"]
            return completed

    async def _notifier_ticked_since(self, before: int, timeout: float = 60) -> None:
        """Wait for a scheduling round that began after the clock moved: the one running at the
        jump may have read the old time, and a step's day would be skipped."""
        if self.notifier_url is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self._notifier_ticks() < before + 2:
            if loop.time() > deadline:
                raise TimeoutError("the notifier did not complete a round at the new time")
            await asyncio.sleep(0.1)

    async def _send(self, wave: Wave, client: httpx.AsyncClient) -> int:
        gate = asyncio.Semaphore(32)
        sent = 0

        async def one(planned: Planned) -> None:
            nonlocal sent
            async with gate:
                # Like a careful local system: a lost connection or a 503 is retried with the
                # same submission id, which intake and the stream treat as the same report.
                for attempt in range(SEND_ATTEMPTS):
                    try:
                        await self._send_one(planned, client)
                    except (httpx.TransportError, nats.errors.Error, TimeoutError, Unavailable):
                        if attempt == SEND_ATTEMPTS - 1:
                            raise
                        self.retries += 1
                        await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                        continue
                    sent += 1
                    return

        # Corrections and duplicates must arrive after what they follow: send them last.
        firsts = [p for p in wave.submissions if p.kind in {"report", "invalid"}]
        seconds = [p for p in wave.submissions if p.kind not in {"report", "invalid"}]
        for group in (firsts, seconds):
            await asyncio.gather(*(one(p) for p in group))
        return sent

    def _signed(self, planned: Planned) -> bytes:
        submission_id = planned.body["submission_id"]
        if submission_id not in self._bodies:
            body = dict(self.keys.signed(planned.unit.code, planned.body))
            self.signed += "signature" in body
            self._bodies[submission_id] = _encode(body)
        return self._bodies[submission_id]

    async def _send_one(self, planned: Planned, client: httpx.AsyncClient) -> None:
        data = self._signed(planned)
        if planned.channel == "nats":
            province = planned.unit.province or "_"
            js = await self.systems.jetstream(province, planned.unit.code)
            await js.publish(
                subjects.submitted(province, planned.unit.code),
                data,
                stream=subjects.REPORTS_STREAM,
                headers={"Nats-Msg-Id": planned.body["submission_id"]},
            )
            return
        response = await client.post(
            "/v1/submissions",
            content=data,
            headers={**self.issuer.headers(planned.unit.code), "Content-Type": "application/json"},
        )
        if response.status_code == 503:
            raise Unavailable(response.text)
        if response.status_code != 202:
            raise RuntimeError(f"intake refused {planned.body['submission_id']}: {response.text}")

    async def _drain(self, js: Any, timeout: float = 120) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await backlog(js):
            if loop.time() > deadline:
                raise TimeoutError("the pipeline did not drain")
            await asyncio.sleep(0.1)

    async def _tallies(self, js: Any, period: Period) -> tuple[Counter[str], Counter[str]]:
        import json

        rejected: Counter[str] = Counter()
        notices: Counter[str] = Counter()
        # A verdict is published again when its submission is redelivered or re-sent (and the
        # stream keeps earlier rounds run in the same .run directory): count each one once.
        seen: set[str] = set()
        for subject, counter, stream in (
            (f"{subjects.REJECTED}.>", rejected, subjects.REPORTS_STREAM),
            (f"{subjects.NOTIFY}.>", notices, subjects.NOTIFY_STREAM),
        ):
            subscription = await js.subscribe(subject, stream=stream, ordered_consumer=True)
            try:
                while True:
                    try:
                        message = await subscription.next_msg(timeout=1)
                    except (TimeoutError, nats.errors.TimeoutError):
                        break
                    event = json.loads(message.data)
                    if event.get("period") != period.label:
                        continue
                    key = f"{subject}:{event.get('notice_id') or event.get('submission_id')}"
                    if key in seen:
                        continue
                    seen.add(key)
                    if counter is rejected:
                        for reason in event["reasons"]:
                            counter[reason["code"]] += 1
                    elif "channel" not in event:  # a notice, not a dead-letter event
                        counter[f"{event['stage']}:{event.get('level')}"] += 1
            finally:
                await subscription.unsubscribe()
        return rejected, notices

    def _compare(self, plan: Plan, national: dict[str, Any]) -> list[str]:
        mismatches = []
        for code, expected in oracle_totals(plan).items():
            actual = national["values"].get(code)
            if actual is None or abs(Decimal(str(actual)) - expected) > Decimal("0.0001"):
                mismatches.append(f"{code}: Central has {actual}, the oracle {expected}")
        completeness = national["completeness"]
        if completeness["submitted"] != len(plan.final_values):
            mismatches.append(
                f"submitted: Central has {completeness['submitted']}, the oracle {len(plan.final_values)}"
            )
        on_time = sum(plan.final_on_time.values())
        if completeness["on_time"] != on_time:
            mismatches.append(
                f"on time: Central has {completeness['on_time']}, the oracle {on_time}"
            )
        return mismatches


def _audience(notices: Counter[str], audience: str, level: str | None = None) -> int:
    """Notices of the reminder policy's steps for one audience (stages ``unit-3``, ``parent+1``),
    about one level's deadline or any."""
    return sum(
        n
        for key, n in notices.items()
        if key.startswith(audience) and (level is None or key.endswith(f":{level}"))
    )


def summary(result: RoundResult) -> str:
    plan, national = result.plan, result.national
    c = national["completeness"]
    lines = [
        f"Simulated round: {REPORT_TYPE} {plan.period.label}",
        f"  sent {sum(len(w.submissions) for w in plan.waves):,} submissions "
        f"({plan.count('invalid')} invalid, {plan.count('correction')} corrections, "
        f"{plan.count('duplicate')} duplicates); receipts {result.receipts:,};"
        f" {result.retries:,} sends retried",
        f"  rejected: {', '.join(f'{k} {v}' for k, v in result.rejected.most_common()) or 'none'}",
        f"  on NATS through {result.systems[0]} province platforms and {result.systems[1]}"
        f" communes' own systems, each with its own credentials; {result.signed:,} reports"
        " signed by their unit's key",
        f"  notices on NATS: {_audience(result.notices, 'unit'):,} reminders,"
        f" {_audience(result.notices, 'parent', 'commune'):,} province digests,"
        f" {_audience(result.notices, 'parent', 'province') + _audience(result.notices, 'central'):,}"
        f" Central digests, {_audience(result.notices, 'rejection'):,} rejection notices",
        "",
        f"National completeness: expected {c['expected']:,} · submitted {c['submitted']:,} ({c['rate_pct']}%)"
        f" · on time {c['on_time']:,} · late {c['late']:,} · missing {c['missing']:,}",
        "",
        "Derived indicators at Central, against the Conclusion 226 targets:",
    ]
    for code, entry in national["derived"].items():
        met = {True: "met", False: "MISSED", None: "no data"}[entry.get("met")]
        value = entry["value"]
        shown = f"{value:,.2f}" if isinstance(value, int | float) else "n/a"
        lines.append(f"  {code:<26} {shown:>12}   target {entry.get('target', '-'):<8} {met}")
    provinces = national["children"]
    lines.append("")
    lines.append("Provinces meeting each target:")
    for code in national["derived"]:
        meeting = sum(1 for p in provinces if p["derived"][code].get("met") is True)
        lines.append(f"  {code:<26} {meeting:>3} of {len(provinces)}")
    lowest = sorted(provinces, key=lambda p: p["completeness"]["rate_pct"] or 0)[:3]
    lines.append(
        "Lowest completeness: "
        + "; ".join(f"{p['name']} {p['completeness']['rate_pct']}%" for p in lowest)
    )
    lines.append("")
    if result.oracle_holds:
        lines.append(
            "Oracle: Central's totals and completeness equal the independent sum of the "
            "latest accepted reports. Nothing lost, nothing counted twice."
        )
    else:
        lines.append("Oracle MISMATCH:")
        lines.extend(f"  {m}" for m in result.mismatches)
    return "\n".join(lines)
