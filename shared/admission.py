"""Admission control: a request that waited past its budget for a thread is refused at once with 503 and Retry-After.

Past capacity a process's queue only grows: every webhook then waits longer, the ATS times out and retries, and
the retries add to the queue. Refusing what waited too long keeps the answers within the budget, costs the process
a millisecond per refusal rather than a full request, and nothing refused was accepted: the ATS retries it later
(RFC 9110 §15.6.4 and §10.2.3: 503 with Retry-After). Health, readiness and metrics are never refused.
"""
from __future__ import annotations

import math

from flask import Flask, request
from prometheus_client import Counter, Histogram

from shared.gunicorn_worker import QUEUED_SECONDS
from shared.problems import Problem

QUEUE_SECONDS = Histogram("credbridge_http_queue_seconds", "Time a request waited for a free thread before handling.",
                          ["service"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
SHED = Counter("credbridge_http_requests_shed_total",
               "Requests refused with 503 because they waited past the queue budget (admission control).", ["service"])

# What is shed: the API. Probes and scrapes must answer however loaded the process is.
SHED_PREFIX = "/v1/"


def install(app: Flask, *, service: str, budget_s: float) -> None:
    """Refuses `SHED_PREFIX` requests that waited over `budget_s` (0: never) in gunicorn's queue (shared/gunicorn_worker.py)."""

    @app.before_request
    def admit() -> None:
        queued = request.environ.get(QUEUED_SECONDS)
        if queued is None:
            return  # not under QueueTimedWorker (the Flask test client, another server): nothing to go by
        QUEUE_SECONDS.labels(service=service).observe(queued)
        if budget_s > 0 and queued > budget_s and request.path.startswith(SHED_PREFIX):
            SHED.labels(service=service).inc()
            retry_after = max(1, math.ceil(queued))  # about as long as the queue is now
            raise Problem(503, "Service Unavailable",
                          f"{service} is over capacity: this request waited {queued:.2f} s for a free thread, past "
                          f"its {budget_s:g} s budget, and was not accepted; retry in {retry_after} s.",
                          type_="https://credbridge.dev/problems/over-capacity",
                          headers={"Retry-After": str(retry_after)})
