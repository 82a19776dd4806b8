"""The matching HTTP app factory (gunicorn: `services.matching.app:create_app()`)."""
from __future__ import annotations

from functools import partial
from typing import Callable

from flask import Flask

from shared.http import create_base_app
from shared.kafka import broker_reachable
from shared.mongo import connect, database_reachable
from shared.ratelimit import Guard, Limit, RateLimiter
from shared.settings import Settings
from shared.tenants import TenantRepository

from services.matching import api
from services.matching.job_descriptions import JobDescriptions
from services.matching.queries import RecruiterQueries
from services.matching.repository import MatchingRepository
from services.matching.writeback import last_write_back
from services.matching.skills.taxonomy import esco_taxonomy
from services.matching.web import auth as web_auth, site as web_site
from services.verification.trust import TrustRepository


def create_app(settings: Settings | None = None) -> Flask:
    """Connects to MongoDB here, after gunicorn forked, never at import."""
    settings = settings or Settings.from_env()
    db = connect(settings)
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    limiter = RateLimiter(db)
    limiter.ensure_indexes()
    esco_taxonomy()  # read the ESCO index at start (1-3 s per worker process), not on the first request
    descriptions = JobDescriptions(db)
    descriptions.ensure_indexes()
    app = build_app(repo=repo, tenants=TenantRepository(db, settings), queries=RecruiterQueries(repo),
                     descriptions=descriptions,
                     ready_checks={"database": partial(database_reachable, db),
                                   "broker": partial(broker_reachable, settings)},
                     limit=Guard(limiter, Limit("api", settings.rate_limit_api_per_minute)),
                     writeback=partial(last_write_back, db))
    sessions = web_auth.SessionStore(db)
    sessions.ensure_indexes()
    # The recruiters' web page (/app/): Secure cookies and HSTS everywhere but a local run over plain http.
    web_site.register(app, sessions=sessions, trust=TrustRepository(db), secure=settings.environment != "development")
    return app


def build_app(*, repo: MatchingRepository, tenants: TenantRepository,
              ready_checks: dict[str, Callable[[], bool]], queries: RecruiterQueries | None = None,
              limit: Guard | None = None, writeback: Callable[[str, str], dict | None] | None = None,
              descriptions: JobDescriptions | None = None) -> Flask:
    """The app around already-built adapters; tests hand it in-memory ones."""
    app = create_base_app("matching", ready_checks=ready_checks)
    app.extensions["matching"] = api.Context(repo=repo, tenants=tenants, queries=queries, limit=limit,
                                             writeback=writeback, descriptions=descriptions)
    app.register_blueprint(api.bp)
    app.register_blueprint(api.docs)
    return app
