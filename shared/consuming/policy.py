"""When a consumer acknowledges, retries or gives up on a message: the constants and the rules.

Kept apart from the FastStream subscriber (:mod:`shared.consuming.subscriber`) and the batch
settlement (:mod:`shared.consuming.settling`) so the durables ops provisions
(``baocao nats provision``) and the code that settles messages read the same numbers. What is an
outage and what is the message's fault is decided once, in :mod:`shared.outages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

MAX_DELIVER = -1  # never give up: outages are waited out, poison is dead-lettered
POISON_AFTER = 3
ACK_WAIT_SECONDS = 10.0
RETRY_DELAY_SECONDS = 2.0
FETCH_WAIT_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 5.0
WATCH_SECONDS = 5.0  # how often lag and the oldest message's age are read for /metrics


class ConsumerNotProvisioned(Exception):
    """The durable consumer a service binds to does not exist: ops has not provisioned NATS."""


@dataclass(frozen=True)
class DeadLetter:
    """A message a handler could not use, and why (a reason code and a readable detail)."""

    message: Msg
    reason: str
    detail: str

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # FastStream validates what a handler returns against its annotation: a dead letter
        # passes as it is (its message is a nats-py object pydantic has no schema for).
        return core_schema.is_instance_schema(cls)


def next_backoff(current: float) -> float:
    """The pause before the next fetch after a failed round: doubling, from 0.25 s to 5 s."""
    return min(max(current * 2, 0.25), MAX_BACKOFF_SECONDS)


def consumer_config(
    durable: str,
    filter_subject: str,
    batch_size: int,
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL,
) -> ConsumerConfig:
    """A durable as ops provisions it (``baocao nats provision``) and its subscriber declares it:
    explicit acks, redelivery after ``ack_wait``, never given up, ``batch_size * 8`` in flight."""
    return ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=deliver_policy,
        ack_wait=ACK_WAIT_SECONDS,
        max_deliver=MAX_DELIVER,
        max_ack_pending=batch_size * 8,
        filter_subject=filter_subject,
    )
