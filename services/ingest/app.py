"""Ingest's Flask app factory: receives ATS webhooks and publishes applicants to Kafka."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from services.ingest import openapi
from services.ingest.api import bp
from services.ingest.providers import Adapter, registry
from services.ingest.repository import DeliveryRepository
from shared import admission, logs, mongo
from shared.http import create_base_app
from shared.kafka import Publisher, broker_reachable
from shared.settings import Settings
from shared.ratelimit import Guard, Limit, RateLimiter
from shared.tenants import TenantRepository


@dataclass
class IngestContext:
    settings: Settings
    tenants: TenantRepository
    deliveries: DeliveryRepository
    publisher: Publisher
    adapters: dict[str, Adapter]
    limit: Guard | None = None  # webhooks per tenant, counted before anything is read or decrypted


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logs.configure("ingest")
    db = mongo.connect(settings)
    # Every webhook reads its connection before it is authenticated: reused for CONFIG_CACHE_TTL_SECONDS.
    tenants = TenantRepository(db, settings, connection_ttl_s=settings.config_cache_ttl_s)
    deliveries = DeliveryRepository(db, ttl_s=settings.webhook_dedupe_ttl_s)
    tenants.ensure_indexes()
    deliveries.ensure_indexes()
    limiter = RateLimiter(db)
    limiter.ensure_indexes()
    app = create_base_app("ingest", ready_checks={"database": lambda: mongo.database_reachable(db),
                                                  "broker": lambda: broker_reachable(settings)},
                          max_body_bytes=settings.webhook_max_body_bytes)
    app.extensions["ingest"] = IngestContext(settings=settings, tenants=tenants, deliveries=deliveries,
                                             publisher=Publisher(settings, client_id="ingest"), adapters=registry(),
                                             limit=Guard(limiter, Limit("webhooks", settings.rate_limit_webhooks_per_minute)))
    admission.install(app, service="ingest", budget_s=settings.ingest_queue_budget_s)
    app.register_blueprint(bp)
    app.add_url_rule("/openapi.json", "openapi", lambda: openapi.spec_dict())
    return app
