"""The verification HTTP app factory (gunicorn: services.verification.app:create_app())."""
from __future__ import annotations

from flask import Flask

from services.verification.api import bp
from services.verification.repository import VerdictRepository
from shared import kafka, mongo
from shared.http import create_base_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Builds clients here, after gunicorn forks, never at import."""
    settings = settings or Settings.from_env()
    db = mongo.connect(settings)
    VerdictRepository(db).ensure_indexes()
    app = create_base_app("verification", ready_checks={
        "database": lambda: mongo.database_reachable(db),
        "broker": lambda: kafka.broker_reachable(settings),
    })
    app.config["SETTINGS"] = settings
    app.register_blueprint(bp)
    return app
