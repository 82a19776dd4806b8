"""Every app bounds request bodies, chunked ones included (no Content-Length to check): 413 problem+json."""
from __future__ import annotations

import io
import json

from flask import request

from services.matching.app import build_app
from shared.http import create_base_app, json_body
from tests.unit.matching_fakes import FakeMatchingRepository, FakeTenants

FIVE_MB = json.dumps({"title": "x" * 5_000_000, "requirements": []}).encode()


def chunked(client, method: str, url: str, body: bytes, **headers):
    # No Content-Length, and the server (gunicorn) marks the input as terminated by the chunked framing.
    return client.open(url, method=method, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json", **headers})


def test_a_chunked_five_megabyte_body_is_refused_413_and_no_route_can_read_more_than_the_apps_limit():
    app = create_base_app("any", ready_checks={})

    @app.post("/json")
    def parse():
        return {"keys": len(json_body())}

    @app.post("/raw")
    def raw():
        return {"bytes": len(request.get_data())}
    client = app.test_client()
    resp = chunked(client, "POST", "/json", FIVE_MB)
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    assert chunked(client, "POST", "/json", b'{"a": 1}').get_json() == {"keys": 1}
    assert chunked(client, "POST", "/raw", FIVE_MB).get_json() == {"bytes": 1_048_577}  # never the 5 MB


def test_the_recruiters_api_refuses_a_chunked_body_over_its_own_limit_413():
    app = build_app(repo=FakeMatchingRepository(), tenants=FakeTenants({"cbk_one.secret": "t1"}), ready_checks={})
    client = app.test_client()
    for body in (FIVE_MB, FIVE_MB[:300_000] + b'"}'):  # over the app's ceiling; over the API's 256 KiB only
        resp = chunked(client, "PUT", "/v1/roles/job-1", body, Authorization="Bearer cbk_one.secret")
        assert resp.status_code == 413 and resp.mimetype == "application/problem+json", resp.get_json()
