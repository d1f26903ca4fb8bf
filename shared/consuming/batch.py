"""The body a batch handler receives: the fetched messages, raw, typed by what each one carries.

A handler declared ``async def judge(submissions: Batch[Submission])`` gets the JetStream
messages untouched (bytes, headers, metadata), because each service reads its own bytes: the
validator must turn unreadable JSON into a rejection, not fail the batch while decoding it.
FastStream documents a handler's payload from its signature; ``Batch[Submission]`` gives the
JSON schema of one ``Submission``, which is what every message on the subject carries, so the
AsyncAPI document is generated from the real handlers and says what is on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar, get_args

from faststream.nats.message import NatsBatchMessage
from nats.aio.msg import Msg
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

Event = TypeVar("Event")


class Batch(Generic[Event]):
    """Messages fetched together, each carrying one ``Event`` as JSON."""

    __slots__ = ("messages",)

    def __init__(self, messages: Sequence[Msg]) -> None:
        self.messages: list[Msg] = list(messages)

    def __iter__(self) -> Iterator[Msg]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # Python side: the batch passes as it is (no decoding, no copying); JSON side (the
        # documented schema): one event.
        (event,) = get_args(source) or (Any,)
        return core_schema.json_or_python_schema(
            json_schema=handler.generate_schema(event),
            python_schema=core_schema.is_instance_schema(cls),
        )


async def as_batch(message: NatsBatchMessage) -> Batch[Any]:
    """FastStream decoder: the batch's raw messages, left for the handler to read."""
    return Batch(message.raw_message)
