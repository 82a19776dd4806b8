"""Metrics used by every service, and the /metrics view that is correct under several gunicorn workers."""
from __future__ import annotations

import os

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest,
                               start_http_server)
from prometheus_client import multiprocess

# Labels come from small fixed sets only: route templates, methods, status codes, topic names.
HTTP_REQUESTS = Counter("credbridge_http_requests_total", "HTTP requests answered.",
                        ["service", "route", "method", "status"])
HTTP_LATENCY = Histogram("credbridge_http_request_seconds", "HTTP request latency.", ["service", "route", "method"])
KAFKA_PUBLISHED = Counter("credbridge_kafka_published_total", "Events acknowledged by the broker.", ["topic"])
KAFKA_CONSUMED = Counter("credbridge_kafka_consumed_total", "Messages consumed, by outcome.", ["topic", "outcome"])
KAFKA_RETRIED = Counter("credbridge_kafka_retried_total", "Handler retries after a transient failure.", ["topic"])
KAFKA_DEAD_LETTERED = Counter("credbridge_kafka_dead_lettered_total", "Messages sent to a dead-letter topic.", ["topic"])


def registry() -> CollectorRegistry:
    """In multiprocess mode a fresh registry aggregates every worker's files; otherwise the default one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    from prometheus_client import REGISTRY
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def serve_worker_metrics(port: int, addr: str) -> None:
    """Kafka workers are not behind gunicorn: each serves its own /metrics when given a port."""
    if port:
        start_http_server(port, addr=addr, registry=registry())
