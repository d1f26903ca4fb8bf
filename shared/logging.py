"""structlog set-up: JSON lines carrying the current trace and span ids.

In a terminal the same events are rendered for a person to read (``BAOCAO_LOG_FORMAT=console``,
the default when stderr is a TTY); anywhere else, one JSON object per line for the log pipeline.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog
from opentelemetry import trace

LogFormat = Literal["auto", "json", "console"]

# Keys whose values are never written, whoever passes them to a logger.
_SECRET_KEYS = frozenset({"token", "authorization", "password", "secret", "token_secret"})
_DSN_PASSWORD = re.compile(r"(://[^:/@]+:)[^@]+@")


def _add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif isinstance(value, str) and "://" in value:
            event[key] = _DSN_PASSWORD.sub(r"\1[redacted]@", value)
    return event


def configure_logging(
    service: str,
    level: str = "INFO",
    log_format: LogFormat = "auto",
    *,
    stream: TextIO | None = None,
    cache: bool = True,
) -> None:
    """Configure structlog for the process. ``stream`` and ``cache=False`` are for tests that
    read the lines back and restore the defaults afterwards."""
    output = stream or sys.stderr
    console = log_format == "console" or (log_format == "auto" and output.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer()
        if console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_trace_ids,
            structlog.processors.format_exc_info,
            _redact,  # after formatting, so a traceback's connection string is redacted too
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=output),
        cache_logger_on_first_use=cache,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
