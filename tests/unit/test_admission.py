"""Admission control: a request that waited past the queue budget is refused with 503 and Retry-After; others pass."""
from __future__ import annotations

from shared import admission
from shared.gunicorn_worker import QUEUED_SECONDS, queue_timed
from shared.http import create_base_app


def _app(budget_s: float):
    app = create_base_app("ingest-test", ready_checks={})
    admission.install(app, service="ingest-test", budget_s=budget_s)
    app.add_url_rule("/v1/webhooks/generic/t1", "hook", lambda: ("", 202), methods=["POST"])
    return app.test_client()


def _post(client, queued_s: float | None):
    extra = {} if queued_s is None else {QUEUED_SECONDS: queued_s}
    return client.post("/v1/webhooks/generic/t1", environ_base=extra)


def test_a_webhook_that_waited_past_the_budget_is_refused_with_503_problem_and_retry_after():
    resp = _post(_app(1.0), 2.4)
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] == "3"
    assert resp.json["type"] == "https://credbridge.dev/problems/over-capacity"
    assert "waited 2.40 s" in resp.json["detail"] and "not accepted" in resp.json["detail"]


def test_a_webhook_within_the_budget_is_handled():
    assert _post(_app(1.0), 0.3).status_code == 202


def test_a_budget_of_zero_never_refuses():
    assert _post(_app(0), 30.0).status_code == 202


def test_without_the_queue_timed_worker_nothing_is_refused():
    assert _post(_app(1.0), None).status_code == 202


def test_probes_and_metrics_answer_however_long_they_waited():
    client = _app(0.5)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, environ_base={QUEUED_SECONDS: 9.0}).status_code == 200


def test_a_refusal_is_counted():
    from prometheus_client import REGISTRY
    before = REGISTRY.get_sample_value("credbridge_http_requests_shed_total", {"service": "ingest-test"}) or 0
    _post(_app(0.1), 0.2)
    assert REGISTRY.get_sample_value("credbridge_http_requests_shed_total", {"service": "ingest-test"}) == before + 1


def test_the_worker_middleware_puts_the_threads_queue_time_in_the_environ():
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    queue_timed(app)({}, lambda *a: None)
    assert isinstance(seen[QUEUED_SECONDS], float)
