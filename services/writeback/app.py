"""The write-back HTTP app factory (gunicorn: services.writeback.app:create_app()): Greenhouse's assessment calls."""
from __future__ import annotations

from flask import Flask

from shared import mongo
from shared.http import create_base_app
from shared.settings import Settings
from shared.tenants import TenantRepository

from services.writeback import openapi
from services.writeback.api import bp
from services.writeback.repository import WritebackRepository


def create_app(settings: Settings | None = None) -> Flask:
    """Builds clients here, after gunicorn forks, never at import."""
    settings = settings or Settings.from_env()
    db = mongo.connect(settings)
    repo = WritebackRepository(db, TenantRepository(db, settings))
    repo.ensure_indexes()
    app = create_base_app("writeback", ready_checks={"database": lambda: mongo.database_reachable(db)},
                          max_body_bytes=64 * 1024)
    app.config["SETTINGS"] = settings
    app.extensions["credbridge_writeback"] = repo
    app.register_blueprint(bp)
    app.add_url_rule("/openapi.json", "openapi", lambda: openapi.spec_dict())
    return app
