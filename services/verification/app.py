"""The verification HTTP app factory (gunicorn: services.verification.app:create_app())."""
from __future__ import annotations

from flask import Flask

from services.verification import openapi
from services.verification.api import bp
from services.verification.fetching import Fetcher
from services.verification.repository import VerdictRepository
from services.verification.stage import Caches
from services.verification.trust import TrustRepository
from services.verification.verifier import Verifier
from shared.ratelimit import Guard, Limit, RateLimiter
from shared import kafka, mongo
from shared.http import create_base_app
from shared.settings import Settings
from shared.tenants import TenantRepository


def create_app(settings: Settings | None = None) -> Flask:
    """Builds clients here, after gunicorn forks, never at import."""
    settings = settings or Settings.from_env()
    db = mongo.connect(settings)
    VerdictRepository(db).ensure_indexes()
    trust = TrustRepository(db)
    app = create_base_app("verification", ready_checks={
        "database": lambda: mongo.database_reachable(db),
        "broker": lambda: kafka.broker_reachable(settings),
    })
    app.config["SETTINGS"] = settings
    app.extensions["credbridge_tenants"] = TenantRepository(db, settings)
    limiter = RateLimiter(db)
    limiter.ensure_indexes()
    app.extensions["credbridge_limits"] = {
        "tenant": Guard(limiter, Limit("verify", settings.rate_limit_verify_per_minute)),
        "anonymous": Guard(limiter, Limit("verify_anonymous", settings.rate_limit_verify_anonymous_per_minute))}
    app.extensions["credbridge_verifier"] = Verifier(settings, fetch=Fetcher(settings).get, caches=Caches.sized(settings),
                                                     registries=trust.registry)
    app.register_blueprint(bp)
    app.add_url_rule("/openapi.json", "openapi", lambda: openapi.spec_dict())
    return app
