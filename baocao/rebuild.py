"""`baocao rebuild`: recompute rollups from the stored submissions or from the stream."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import nats

from baocao.nats_identities import ops_options
from services.aggregator.adapters import accepted_sources
from services.aggregator.adapters.feed_publisher import FeedPublisher
from services.aggregator.adapters.rollup_store import RollupStore
from services.aggregator.bootstrap import feed_summaries_of
from services.aggregator.rebuild import Rebuilt, rebuild
from services.aggregator.settings import AggregatorSettings
from services.aggregator.usecases.aggregation import AggregationService
from shared.clock import SystemClock
from shared.db import create_pool
from shared.periods import Period
from shared.registry.store import load_registry
from shared.runtime import load_catalog


def add_commands(commands: Any) -> None:
    parser = commands.add_parser(
        "rebuild",
        help="recompute rollups from the stored submissions (or the REPORTS stream); the result"
        " equals the live one (AGGREGATOR_DATABASE_URL, else DATABASE_URL; NATS_URL)",
    )
    parser.add_argument("report_type", nargs="?", help="only this report type")
    parser.add_argument("period", nargs="?", help="only this period (e.g. 2026-Q3)")
    parser.add_argument(
        "--source",
        choices=["database", "stream"],
        default="database",
        help="the validator's submissions table (default) or the JetStream REPORTS stream",
    )
    parser.set_defaults(run=command)


def command(args: argparse.Namespace) -> int:
    settings = AggregatorSettings()
    # A rebuild is the aggregator's work: it logs in as the aggregator's role, given like the
    # stack gives it (docs/database-roles.md); DATABASE_URL alone still works.
    own_url = os.environ.get("AGGREGATOR_DATABASE_URL")
    if own_url:
        settings = settings.model_copy(update={"database_url": own_url})
    catalog = load_catalog(settings)
    if args.report_type is not None and catalog.get(args.report_type) is None:
        known = ", ".join(sorted(catalog.report_types))
        print(f"unknown report type {args.report_type!r}: the catalog has {known}")
        return 2
    done = asyncio.run(
        run(
            settings,
            args.report_type,
            args.period,
            source=args.source,
            say=lambda line: print(line, flush=True),
        )
    )
    print(f"rebuilt {len(done)} report periods")
    return 0


async def run(
    settings: AggregatorSettings,
    report_type: str | None,
    period: str | None,
    *,
    source: str = "database",
    say: Any = print,
) -> list[Rebuilt]:
    pool = await create_pool(settings.database_url, max_size=3)
    connection = None
    try:
        registry = await load_registry(pool)
        catalog, store = load_catalog(settings), RollupStore(pool)
        service = AggregationService(
            catalog=catalog, registry=registry, clock=SystemClock(), store=store
        )
        # An operator's act: it reads the REPORTS stream and publishes on the live feed.
        connection = await nats.connect(settings.nats_url, **ops_options())
        js = connection.jetstream()
        if source == "stream":
            verdicts = accepted_sources.from_stream(js, report_type, period)
        else:
            verdicts = accepted_sources.from_database(pool, report_type, period)
        done = await rebuild(service, verdicts, say=say)
        # The live feed follows: a rollup the rebuild changed is published like any change
        # (the publisher skips what its subject already shows, so an equal rebuild sends nothing).
        feed = FeedPublisher(lambda: js, feed_summaries_of(catalog, registry, store), SystemClock())
        try:
            for item in done:
                day = Period.parse(item.period).cutoff_end
                await feed.publish(
                    [(item.report_type, item.period, p.code) for p in registry.provinces(day)]
                )
        except Exception as error:  # the rollups are rebuilt and committed either way
            say(f"rollups rebuilt, but the live feed was not updated ({error!r}); run again")
        return done
    finally:
        if connection is not None:
            await connection.close()
        await pool.close()
