"""One live-feed client's view of the ROLLUPS stream: an ephemeral ordered consumer.

Ordered consumers (nats-py) deliver in stream order, without acks, from memory, and recreate
themselves from the last sequence seen if a message is missed or the server forgets them. A
client that names the last event it saw resumes after it; a new one first gets the latest
update of every rollup its filter covers, then each one as it comes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Final

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared import subjects
from shared.logging import get_logger

# Once nobody listens (the process died before it could delete the consumer), the server
# removes it after this long.
INACTIVE_SECONDS: Final = 10.0
IDLE_HEARTBEAT_SECONDS: Final = 5.0

log = get_logger(__name__)


@dataclass(frozen=True)
class FeedEvent:
    sequence: int
    data: bytes


class FeedSubscription:
    def __init__(self, js: JetStreamContext, subscription: JetStreamContext.PushSubscription):
        self._js = js
        self._subscription = subscription

    @classmethod
    async def open(
        cls, js: JetStreamContext, filter_subject: str, after: int | None
    ) -> FeedSubscription:
        """Subscribe to ``filter_subject``: after stream sequence ``after`` if the stream still
        holds everything since; otherwise (or without ``after``) the latest message of each
        subject first."""
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, inactive_threshold=INACTIVE_SECONDS
        )
        if after is not None:
            state = (await js.stream_info(subjects.ROLLUPS_STREAM)).state
            # A sequence beyond the stream's end is from another stream's history (it was
            # recreated); one before its start means updates expired: either way, the latest
            # state is all we can give.
            if state.first_seq - 1 <= after <= state.last_seq:
                config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
                config.opt_start_seq = after + 1
        subscription = await js.subscribe(
            filter_subject,
            stream=subjects.ROLLUPS_STREAM,
            config=config,
            ordered_consumer=True,
            idle_heartbeat=IDLE_HEARTBEAT_SECONDS,
        )
        return cls(js, subscription)

    async def next(self, timeout: float) -> FeedEvent | None:
        """The next update, or None if none came within ``timeout`` seconds."""
        try:
            message = await self._subscription.next_msg(timeout=timeout)
        except nats.errors.TimeoutError:
            return None
        return FeedEvent(message.metadata.sequence.stream, message.data)

    async def close(self) -> None:
        """Unsubscribe and delete the consumer now rather than when the server notices."""
        name: str | None = None
        with contextlib.suppress(Exception):
            name = (await self._subscription.consumer_info()).name
        try:
            await self._subscription.unsubscribe()
            if name is not None:
                await self._js.delete_consumer(subjects.ROLLUPS_STREAM, name)
        except Exception as error:  # the server deletes it after INACTIVE_SECONDS anyway
            log.info("closing a feed consumer failed", consumer=name, error=repr(error))
