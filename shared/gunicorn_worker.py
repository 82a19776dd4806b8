"""Gunicorn's threaded worker, timing how long each request waited for a free thread (what admission control reads)."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]  # gunicorn ships no type information

# The WSGI environ key carrying the seconds a request waited in this process's queue before a thread took it.
QUEUED_SECONDS = "credbridge.queued_seconds"

_thread = threading.local()


class QueueTimedWorker(ThreadWorker):
    """gthread, plus a stamp: a connection is timed from when it is queued for the thread pool to when a thread
    starts on it. Past capacity that queue is where a webhook's seconds go (every connection is accepted at once
    and waits there), so it is what shared/admission.py sheds on."""

    def enqueue_req(self, conn) -> None:
        conn.credbridge_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn):
        _thread.queued_s = time.monotonic() - getattr(conn, "credbridge_queued_at", time.monotonic())
        return super().handle(conn)

    wsgi: Callable[..., Any]  # set by gunicorn's load_wsgi

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = queue_timed(self.wsgi)


def queue_timed(app: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI app with QUEUED_SECONDS set from the thread that is about to run it."""
    def timed(environ: dict, start_response):
        environ[QUEUED_SECONDS] = getattr(_thread, "queued_s", 0.0)
        return app(environ, start_response)
    return timed
