"""Flask plumbing every service shares: problem+json errors, health, readiness, metrics."""
from __future__ import annotations

import logging
import time
import uuid
from typing import Callable

from flask import Flask, Response, current_app, g, request
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared import logs, metrics, safejson
from shared.problems import Problem

log = logging.getLogger(__name__)


# The largest body any route reads, unless the service says otherwise: routes check their own, smaller limits too.
MAX_BODY_BYTES = 1_048_576


def create_base_app(service: str, *, ready_checks: dict[str, Callable[[], bool]],
                    max_body_bytes: int = MAX_BODY_BYTES) -> Flask:
    """A Flask app with the service-independent routes and error handling already registered."""
    app = Flask(service)
    # An id with an encoded slash (`0%2F`) is decoded into an empty segment; werkzeug would merge the slashes and
    # answer a 308 to another resource. No route of ours takes an empty segment: it is a 404 like any other path.
    app.url_map.merge_slashes = False
    app.config["SERVICE"] = service
    # Enforced on the read itself, so a chunked body (no Content-Length to check first) is bounded too. werkzeug
    # stops a chunked read silently at the limit, so one byte more is let through: a reader that gets it knows the
    # body is over the limit and answers 413 (json_body, ingest's webhook route).
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes + 1
    app.config["MAX_BODY_BYTES"] = max_body_bytes
    metrics.record_build_info(service)
    _register_errors(app)
    _register_metrics(app, service)

    @app.get("/healthz")
    def healthz():
        return {"status": "alive", "service": service}

    @app.get("/readyz")
    def readyz():
        results = {name: check() for name, check in ready_checks.items()}
        ok = all(results.values())
        body = {"status": "ready" if ok else "not ready", "checks": {k: "ok" if v else "unreachable" for k, v in results.items()}}
        return body, 200 if ok else 503

    @app.get("/metrics")
    def metrics_view():
        data, content_type = metrics.exposition()
        return Response(data, mimetype=content_type.split(";")[0], content_type=content_type)

    return app


def _register_errors(app: Flask) -> None:
    @app.errorhandler(Problem)
    def on_problem(exc: Problem):
        return exc.response()

    @app.errorhandler(ValidationError)
    def on_validation(exc: ValidationError):
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return Problem(422, "Unprocessable Content", "The request body failed validation.", errors=errors).response()

    @app.errorhandler(HTTPException)
    def on_http(exc: HTTPException):
        allowed = exc.valid_methods if isinstance(exc, MethodNotAllowed) else None
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return Problem(exc.code or 500, exc.name, exc.description or "", headers=headers).response()

    @app.errorhandler(ConnectionFailure)
    def on_database(exc: ConnectionFailure):
        log.warning("database unavailable", extra={"route": _route(), "error": type(exc).__name__})
        return Problem(503, "Service Unavailable", "The database is unavailable; retry later.",
                       headers={"Retry-After": "10"}).response()

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception):
        log.exception("unhandled error", extra={"route": _route()})
        return Problem(500, "Internal Server Error", "An unexpected error occurred; it has been logged.").response()


def _route() -> str:
    # The rule template ("/v1/roles/<role_id>"), never the concrete path: labels stay a small set.
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _register_metrics(app: Flask, service: str) -> None:
    @app.before_request
    def start_timer():
        g._started = time.perf_counter()
        # Every log line of this request carries one trace_id; ingest puts it on the events it publishes.
        g._trace_token = logs.bind_trace(uuid.uuid4().hex)

    @app.teardown_request
    def end_trace(_exc):
        if "_trace_token" in g:
            logs.unbind_trace(g.pop("_trace_token"))

    @app.after_request
    def record(response):
        route = _route()
        if route != "/metrics":
            metrics.HTTP_REQUESTS.labels(service=service, route=route, method=request.method,
                                         status=str(response.status_code)).inc()
            elapsed = time.perf_counter() - g.get("_started", time.perf_counter())
            metrics.HTTP_LATENCY.labels(service=service, route=route, method=request.method).observe(elapsed)
            if route not in ("/healthz", "/readyz"):
                # The route template, never the path: paths hold tenant and application ids.
                log.info("request handled", extra={"route": route, "method": request.method,
                                                   "status": response.status_code, "ms": round(elapsed * 1000, 1)})
        if logs.current_trace_id():
            response.headers["X-Trace-Id"] = logs.current_trace_id()
        return response


def json_body(max_bytes: int | None = None) -> dict:
    """The request's JSON object, or a 4xx problem saying what is wrong with it (over `max_bytes`, or the app's limit: 413)."""
    limit = min(max_bytes, current_app.config["MAX_BODY_BYTES"]) if max_bytes is not None else current_app.config["MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        raise Problem(413, "Content Too Large", f"Bodies are limited to {limit} bytes.")
    if request.mimetype != "application/json":
        raise Problem(415, "Unsupported Media Type", "Send application/json.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:  # a chunked body has no Content-Length to refuse early
        raise Problem(413, "Content Too Large", f"Bodies are limited to {limit} bytes.")
    try:
        data = safejson.loads(raw)
    except safejson.TooDeep:
        raise Problem(400, "Bad Request", f"The body nests deeper than {safejson.MAX_DEPTH} levels.") from None
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "The body is not a JSON object.")
    return data
