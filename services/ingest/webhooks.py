"""The service layer for one webhook delivery: authenticate, normalise, deduplicate, publish, remember."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Callable

from marshmallow import ValidationError
from pymongo.errors import PyMongoError

from services.ingest import metrics
from services.ingest.model import received_event
from services.ingest.providers import Adapter, Delivery
from services.ingest.repository import DeliveryRepository
from services.ingest.signatures import AuthError
from shared.kafka import PublishError
from shared.problems import Problem
from shared.tenants import TenantRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    status: int
    duplicate: bool
    application_id: str | None
    events: int


def accept(delivery: Delivery, *, adapter: Adapter, tenants: TenantRepository, deliveries: DeliveryRepository,
           publish: Callable, settings, trace_id: str) -> Accepted:
    """Answers only after the broker acknowledged every event, so a 2xx never loses an applicant."""
    connection = tenants.connection(delivery.tenant, adapter.name)
    if connection is None:
        raise Problem(404, "Not Found", "No such tenant or no connection for this provider.")
    try:
        adapter.authenticate(delivery, secrets=connection.secrets, settings=settings)
    except AuthError as exc:
        metrics.SIGNATURE_FAILURES.labels(provider=adapter.name).inc()
        raise Problem(401, "Unauthorized", f"Webhook authentication failed: {exc}.") from None
    application = adapter.normalise(delivery, _parse_json(delivery.body))
    if deliveries.seen(tenant=delivery.tenant, provider=adapter.name, delivery_id=application.delivery_id):
        metrics.DUPLICATES.labels(provider=adapter.name).inc()
        return Accepted(adapter.success_status, True, application.application_id, 0)
    batch = [received_event(application, trace_id=trace_id)]
    try:
        publish(batch)
    except PublishError:
        raise Problem(503, "Service Unavailable", "The event broker is unavailable; retry later.",
                      headers={"Retry-After": "10"}) from None
    try:
        deliveries.record(tenant=delivery.tenant, provider=adapter.name, delivery_id=application.delivery_id,
                          application_id=application.application_id, events=len(batch))
    except PyMongoError:
        # Already published: a retry re-publishes the same event ids, which consumers treat as one.
        log.warning("delivery published but not remembered", extra={"trace_id": trace_id, "provider": adapter.name})
    return Accepted(adapter.success_status, False, application.application_id, len(batch))


def _parse_json(body: bytes) -> dict:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem(400, "Bad Request", "The body is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise Problem(400, "Bad Request", "The body must be a JSON object.")
    return doc


__all__ = ["accept", "Accepted", "ValidationError"]
