"""The service layer for one webhook delivery: authenticate, normalise, deduplicate, publish, remember."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from pymongo.errors import PyMongoError

from services.ingest import metrics
from services.ingest.model import received_event
from services.ingest.providers import Ack, Adapter, Delivery
from services.ingest.repository import DeliveryRepository
from services.ingest.signatures import AuthError
from shared.kafka import PublishError, RecordRefused
from shared import safejson
from shared.problems import Problem
from shared.tenants import TenantRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    status: int
    duplicate: bool
    application_id: str | None
    events: int
    outcome: str = "accepted"          # accepted | duplicate | ping (a small fixed set: a metric label)
    headers: dict = field(default_factory=dict)


def accept(delivery: Delivery, *, adapter: Adapter, tenants: TenantRepository, deliveries: DeliveryRepository,
           publish: Callable, settings, trace_id: str) -> Accepted:
    """Answers only after the broker acknowledged every event, so a 2xx never loses an applicant."""
    connection = tenants.connection(delivery.tenant, adapter.name)
    if connection is None:
        raise Problem(404, "Not Found", "No such tenant or no connection for this provider.")
    if adapter.handshake is not None and (ack := adapter.handshake(delivery)) is not None:
        return _acked(ack)
    if delivery.mimetype not in adapter.mimetypes:
        raise Problem(415, "Unsupported Media Type", f"{adapter.name} webhooks must be sent as application/json.")
    doc, malformed = _parse_json(delivery.body)
    # Authentication comes first, so an unauthenticated sender learns nothing about how its body was read.
    # Most providers sign the raw bytes; Lever signs fields inside the body, which a malformed body lacks.
    try:
        adapter.authenticate(delivery, doc, secrets=connection.secrets, options=connection.options, settings=settings)
    except AuthError as exc:
        metrics.SIGNATURE_FAILURES.labels(provider=adapter.name).inc()
        raise Problem(401, "Unauthorized", f"Webhook authentication failed: {exc}.") from None
    if malformed:
        raise Problem(400, "Bad Request", malformed)
    application = adapter.normalise(delivery, doc)
    if isinstance(application, Ack):
        if adapter.replay_key is not None:
            # Remembered before answering (MongoDB away: 503, and the ATS retries), so its signature is spent.
            deliveries.record(tenant=delivery.tenant, provider=adapter.name, delivery_id=adapter.replay_key(delivery, doc),
                              application_id=None, events=0, ttl_s=adapter.dedupe_ttl_s)
        return _acked(application)
    if deliveries.seen(tenant=delivery.tenant, provider=adapter.name, delivery_id=application.delivery_id):
        metrics.DUPLICATES.labels(provider=adapter.name).inc()
        return Accepted(adapter.success_status, True, application.application_id, 0, outcome="duplicate")
    batch = [received_event(application, trace_id=trace_id)]
    try:
        publish(batch)
    except PublishError:
        raise Problem(503, "Service Unavailable", "The event broker is unavailable; retry later.",
                      headers={"Retry-After": "10"}) from None
    except RecordRefused:
        # Escaping can make the event several times the body (a 4-byte emoji is 12 bytes of JSON): a 4xx, so the
        # ATS stops retrying what would be refused every time.
        raise Problem(413, "Content Too Large", "The delivery is too large to forward once encoded; send fewer or "
                                                "smaller credentials (or links to them).") from None
    try:
        deliveries.record(tenant=delivery.tenant, provider=adapter.name, delivery_id=application.delivery_id,
                          application_id=application.application_id, events=len(batch), ttl_s=adapter.dedupe_ttl_s)
    except PyMongoError:
        # Already published: a retry re-publishes the same event ids, which consumers treat as one.
        log.warning("delivery published but not remembered", extra={"trace_id": trace_id, "provider": adapter.name})
    return Accepted(adapter.success_status, False, application.application_id, len(batch))


def _acked(ack: Ack) -> Accepted:
    return Accepted(ack.status, False, None, 0, outcome="ping", headers=ack.headers)


def _parse_json(body: bytes) -> tuple[dict, str | None]:
    """The body as a JSON object, or an empty one and what is wrong with it."""
    try:
        doc = safejson.loads(body)
    except safejson.TooDeep:
        return {}, f"The body nests deeper than {safejson.MAX_DEPTH} levels."
    except (UnicodeDecodeError, ValueError):
        return {}, "The body is not valid JSON."
    if not isinstance(doc, dict):
        return {}, "The body must be a JSON object."
    return doc, None


__all__ = ["accept", "Accepted"]
