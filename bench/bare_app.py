"""The baseline for bench/pipeline.py: a Flask app that only answers 202, under the same gunicorn settings."""
from flask import Flask


def create_app() -> Flask:
    app = Flask("bare")

    @app.post("/v1/webhooks/<provider>/<tenant>")
    def accept(provider, tenant):
        return {"status": "accepted"}, 202

    return app
