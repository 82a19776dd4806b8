"""Structured JSON logging; callers pass ids (trace_id, topic) in `extra`, never names, emails or bodies."""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from typing import Iterator

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

# The trace of the event or request being handled: set by the consumer loop and the HTTP app, so every
# log line written meanwhile carries it without each caller passing it along.
_TRACE_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)


def current_trace_id() -> str | None:
    return _TRACE_ID.get()


def bind_trace(trace_id: str | None) -> contextvars.Token:
    return _TRACE_ID.set(trace_id or None)


def unbind_trace(token: contextvars.Token) -> None:
    _TRACE_ID.reset(token)


@contextlib.contextmanager
def trace(trace_id: str | None) -> Iterator[None]:
    """Every log line inside the block carries this trace_id."""
    token = bind_trace(trace_id)
    try:
        yield
    finally:
        unbind_trace(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
               "service": self.service, "logger": record.name, "msg": record.getMessage()}
        trace_id = current_trace_id()
        if trace_id:
            doc["trace_id"] = trace_id
        # A trace_id passed in `extra` wins: the caller knows best which event it is talking about.
        doc.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
