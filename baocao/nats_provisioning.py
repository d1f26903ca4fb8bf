"""What ops sets up on NATS before any service starts, and how account updates reach the servers.

Services may not create streams or durable consumers (shared/nats_permissions.py): an ops
connection creates or updates the streams of :func:`shared.subjects.stream_configs` and the
durable consumers the services' FastStream subscribers bind to, configured by the one rule
both read (``shared.consuming.consumer_config``; tests/unit/test_subscribers_contract.py compares
each subscriber's declared config with what is provisioned here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import nats
from nats.aio.client import RawCredentials
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, KeyValueConfig
from nats.js.errors import BadRequestError, NotFoundError

from baocao.nats_authority import NatsAuthority
from shared import nats_permissions, subjects
from shared.consuming import consumer_config
from shared.subjects import REPORTS_STREAM, stream_configs

DEFAULT_BATCH_SIZE = 256  # each service's *_BATCH_SIZE default
PUSH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Durable:
    stream: str
    name: str
    filter_subject: str
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL


DURABLES = (
    Durable(REPORTS_STREAM, nats_permissions.VALIDATOR_DURABLE, f"{subjects.SUBMITTED}.>"),
    Durable(REPORTS_STREAM, nats_permissions.AGGREGATOR_DURABLE, f"{subjects.ACCEPTED}.>"),
    # The notifier's start at the end of the stream when first created: a notifier deployed on
    # a year of verdicts must not tell every unit about every old rejection.
    Durable(
        REPORTS_STREAM,
        nats_permissions.NOTIFIER_ACCEPTED_DURABLE,
        f"{subjects.ACCEPTED}.>",
        DeliverPolicy.NEW,
    ),
    Durable(
        REPORTS_STREAM,
        nats_permissions.NOTIFIER_REJECTED_DURABLE,
        f"{subjects.REJECTED}.>",
        DeliverPolicy.NEW,
    ),
)


def durable_config(durable: Durable, batch_size: int = DEFAULT_BATCH_SIZE) -> ConsumerConfig:
    """The durable as its service's subscriber declares it (``shared.consuming.consumer_config``)."""
    return consumer_config(durable.name, durable.filter_subject, batch_size, durable.deliver_policy)


async def provision(
    js: JetStreamContext,
    *,
    replicas: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    shared_clock: bool = False,
) -> None:
    """Create or update the streams and the services' durable consumers (and the shared clock
    bucket, for tests and the simulated round). Idempotent: run it on every deploy."""
    for config in stream_configs(replicas):
        assert config.name is not None
        try:
            info = await js.stream_info(config.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError:  # created meanwhile by another ops run
                await js.update_stream(config)
        else:
            # The sources are the edges' (baocao.edge_hub.register_edge adds them), not code's:
            # an update from the code must keep them.
            config.sources = info.config.sources
            await js.update_stream(config)
    for durable in DURABLES:
        # Create-or-update: a changed ack_wait or max_ack_pending reaches the running consumer.
        await js.add_consumer(durable.stream, durable_config(durable, batch_size))
    if shared_clock:
        await js.create_key_value(KeyValueConfig(bucket=subjects.CLOCK_BUCKET, history=1))


async def push_account(url: str, authority: NatsAuthority) -> None:
    """Send BAOCAO's current JWT (with its revocations) to the servers through the system
    account: a full resolver applies it at once and keeps it; no restart, no reload."""
    # Minted for this push only, and useless a few minutes later.
    publisher = authority.system_creds(expires=datetime.now(UTC) + timedelta(minutes=5))
    connection = await nats.connect(
        url,
        user_credentials=RawCredentials(publisher.text),
        inbox_prefix=publisher.inbox_prefix,
        allow_reconnect=False,
    )
    try:
        reply = await connection.request(
            "$SYS.REQ.CLAIMS.UPDATE", authority.account_jwt.encode(), timeout=PUSH_TIMEOUT_SECONDS
        )
    finally:
        await connection.close()
    answer = json.loads(reply.data)
    if "error" in answer or answer.get("data", {}).get("code") != 200:
        raise RuntimeError(f"the server refused the account JWT: {answer}")
