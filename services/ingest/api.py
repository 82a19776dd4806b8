"""Ingest's HTTP entry points: one webhook route for every provider."""
from __future__ import annotations

import time
import uuid

from flask import Blueprint, current_app, request

from services.ingest import metrics, webhooks
from services.ingest.providers import Delivery
from shared import logs
from shared.problems import Problem

bp = Blueprint("ingest", __name__)


@bp.post("/v1/webhooks/<provider>/<tenant>")
def receive_webhook(provider: str, tenant: str):
    ctx = current_app.extensions["ingest"]
    adapter = ctx.adapters.get(provider)
    if adapter is None:
        raise Problem(404, "Not Found", f"Unknown or unsupported provider {provider!r}.")
    try:
        if ctx.limit is not None:
            ctx.limit.check(tenant)
        body = _read_body(ctx.settings.webhook_max_body_bytes)
        delivery = Delivery(tenant=tenant, headers=request.headers, body=body, now=time.time(),
                            mimetype=request.mimetype)
        result = webhooks.accept(delivery, adapter=adapter, tenants=ctx.tenants, deliveries=ctx.deliveries,
                                 publish=ctx.publisher.publish, settings=ctx.settings,
                                 trace_id=logs.current_trace_id() or uuid.uuid4().hex)
    except Problem as exc:
        metrics.WEBHOOKS.labels(provider=adapter.name, outcome=f"rejected_{exc.status}").inc()
        raise
    metrics.WEBHOOKS.labels(provider=adapter.name, outcome=result.outcome).inc()
    return ({"status": result.outcome, "application_id": result.application_id, "events_published": result.events},
            result.status, result.headers)


def _read_body(limit: int) -> bytes:
    # The media type is checked per provider (after an activation handshake, which may carry no body).
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, "Content Too Large", f"Webhook bodies are limited to {limit} bytes.")
    body = request.stream.read(limit + 1)  # bounded even when no Content-Length was sent
    if len(body) > limit:
        raise Problem(413, "Content Too Large", f"Webhook bodies are limited to {limit} bytes.")
    return body
