"""Deeply nested JSON is malformed input (400, a credential unavailable, a dead letter), never a RecursionError or a 500."""
from __future__ import annotations

import json

import pytest

from services.ingest import discovery
from services.matching.app import build_app
from services.verification.api import bp as verify_bp
from shared import events, safejson
from shared.consumer import ConsumerLoop
from shared.http import create_base_app
from shared.settings import Settings
from tests.unit.matching_fakes import FakeMatchingRepository, FakeTenants

DEEP = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()       # 600 kB, far past Python's recursion limit
MODERATE = ("[" * 200 + "]" * 200).encode()                      # parses, but deeper than any credential


def test_nesting_is_counted_without_recursion_and_deep_input_is_refused_as_malformed_json():
    assert safejson.depth({"a": [1, {"b": []}]}) == 4 and safejson.depth(7) == 0
    built: list = []
    for _ in range(4999):
        built = [built]
    assert safejson.depth(built) == 5000
    for raw in (DEEP, MODERATE):
        with pytest.raises(json.JSONDecodeError, match="nested deeper than 64"):
            safejson.loads(raw)
    assert safejson.loads(b'{"ok": [1]}') == {"ok": [1]}


def test_a_credential_link_serving_deep_json_holds_no_credential_rather_than_failing_the_application():
    for raw in (DEEP, MODERATE):
        found = discovery.classify("application/json", raw)
        assert found.document is None and found.problem == "the JSON does not parse"


def test_a_deep_event_is_dead_lettered_and_never_escapes_the_consumer_loop():
    class Publisher:
        raw: list = []

        def publish_raw(self, topic, *, key, value, headers):
            self.raw.append(topic)
    loop = ConsumerLoop(settings=Settings(), group_id="g", publisher=Publisher(),
                        handlers={events.APPLICATIONS_READY: lambda e: None}, sleep=lambda _s: None)
    assert loop.process(events.APPLICATIONS_READY, b"k", DEEP).dead_lettered
    assert Publisher.raw == ["applications.ready.dlq"]


@pytest.fixture
def verify_client():
    app = create_base_app("verification", ready_checks={})
    app.config["SETTINGS"] = Settings()
    app.register_blueprint(verify_bp)
    return app.test_client()


@pytest.mark.parametrize("body", [DEEP, MODERATE])
def test_verify_answers_a_deeply_nested_body_400(verify_client, body):
    resp = verify_client.post("/v1/verify", data=body, content_type="application/json")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"


def test_the_recruiters_api_answers_a_deeply_nested_body_400():
    app = build_app(repo=FakeMatchingRepository(), tenants=FakeTenants({"cbk_one.secret": "t1"}), ready_checks={})
    body = ('{"title":' * 20_000 + '"x"' + "}" * 20_000).encode()  # 200 kB, under the API's body limit
    resp = app.test_client().put("/v1/roles/job-1", data=body, content_type="application/json",
                                 headers={"Authorization": "Bearer cbk_one.secret"})
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
