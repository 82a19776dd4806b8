"""JSON logs carry the trace_id of the event or request in hand, and nothing personal."""
from __future__ import annotations

import json
import logging

import pytest

from shared import events, logs
from shared.consumer import ConsumerLoop
from shared.http import create_base_app
from shared.settings import Settings


@pytest.fixture
def lines():
    """Captures what the root logger writes, formatted exactly as the services format it."""
    captured: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            captured.append(self.format(record))

    handler = ListHandler()
    handler.setFormatter(logs.JsonFormatter("test"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in captured]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_line_written_inside_a_trace_block_carries_its_trace_id_and_one_written_after_does_not(lines):
    log = logging.getLogger("t")
    with logs.trace("abc123"):
        log.info("inside")
    log.info("after")
    inside, after = lines()
    assert inside["trace_id"] == "abc123" and inside["service"] == "test" and inside["msg"] == "inside"
    assert "trace_id" not in after


def test_a_trace_id_passed_in_extra_wins_over_the_bound_one(lines):
    with logs.trace("bound"):
        logging.getLogger("t").info("x", extra={"trace_id": "explicit"})
    assert lines()[0]["trace_id"] == "explicit"


class _NoPublisher:
    def publish_raw(self, *args, **kwargs):
        raise AssertionError("nothing should be dead-lettered")


def test_every_line_a_handler_logs_carries_the_events_trace_id_without_passing_it(lines):
    event = events.new_event("application.received", tenant="t1", trace_id="trace-from-webhook", payload={
        "provider": "generic", "delivery_id": "d1", "application": {"id": "a1", "job_id": "j1"},
        "candidate": {"id": "c1", "name": "Ada Lovelace", "emails": ["ada@example.org"]}})
    loop = ConsumerLoop(settings=Settings(), group_id="g", publisher=_NoPublisher(),
                        handlers={events.APPLICATIONS_RECEIVED: lambda e: logging.getLogger("h").info("working")})
    assert loop.process(events.APPLICATIONS_RECEIVED, b"k", events.encode(event)).handled
    written = lines()
    assert [d["msg"] for d in written] == ["working", "event handled"]
    assert {d["trace_id"] for d in written} == {"trace-from-webhook"}
    assert "ada@example.org" not in json.dumps(written) and "Ada" not in json.dumps(written)
    assert logs.current_trace_id() is None  # nothing leaks into the next message


def test_an_http_request_gets_a_trace_id_in_its_log_line_and_response_header_and_logs_the_route_not_the_path(lines):
    app = create_base_app("svc", ready_checks={})

    @app.get("/v1/things/<thing_id>")
    def thing(thing_id):
        logging.getLogger("view").info("in view")
        return {"ok": True}

    resp = app.test_client().get("/v1/things/secret-id-42")
    written = lines()
    trace_id = resp.headers["X-Trace-Id"]
    assert len(trace_id) == 32 and {d["trace_id"] for d in written} == {trace_id}
    handled = next(d for d in written if d["msg"] == "request handled")
    assert handled["route"] == "/v1/things/<thing_id>" and handled["status"] == 200
    assert "secret-id-42" not in json.dumps(written)


def test_two_requests_get_different_trace_ids():
    app = create_base_app("svc", ready_checks={})
    client = app.test_client()
    assert client.get("/healthz").headers["X-Trace-Id"] != client.get("/healthz").headers["X-Trace-Id"]
