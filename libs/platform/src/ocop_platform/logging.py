"""Structured JSON logs that carry the correlation id of the request or event being handled."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


@contextmanager
def correlation_scope(correlation_id: str, causation_id: str | None = None) -> Iterator[None]:
    """Everything logged or emitted inside belongs to this request or event."""
    token = _correlation_id.set(correlation_id)
    cause = _causation_id.set(causation_id)
    try:
        yield
    finally:
        _causation_id.reset(cause)
        _correlation_id.reset(token)


def trace_fields() -> dict[str, UUID]:
    """Envelope fields for an event emitted now: it shares the correlation id of the request or
    event being handled, and names that event as its cause."""
    fields: dict[str, UUID] = {}
    for name, var in (("correlation_id", _correlation_id), ("causation_id", _causation_id)):
        value = var.get()
        if value is not None:
            with suppress(ValueError):
                fields[name] = UUID(value)
    return fields


def current_correlation_id() -> str | None:
    return _correlation_id.get()


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (correlation_id := _correlation_id.get()) is not None:
            entry["correlation_id"] = correlation_id
        entry.update(
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and k[0] != "_"}
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "pymongo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
