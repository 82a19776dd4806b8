"""Every route of every service, fuzzed over HTTP against the real database and broker: never a 5xx, and every error
is application/problem+json. Requests are drawn per app from its own url map (hostile path values, queries,
headers, bodies), REQUESTS of them per app, so the suite stays fast; the counts tried are printed.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from services.ingest.app import create_app as ingest_app
from services.matching.app import create_app as matching_app
from services.verification.app import create_app as verification_app
from shared.tenants import TenantRepository

REQUESTS = 250
HOSTILE = st.sampled_from(["", "..", "%2e%2e", "a" * 300, "t_" + "0" * 12, "generic", "greenhouse", "lever", "\u00e9",
                           "%00", "1e20", "-1", "😀", "a/b", "?x=1", "#", "null"]) | st.text(min_size=1, max_size=30)
scalars = st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=15)
bodies = (st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
          | st.integers(min_value=1, max_value=3000).map(lambda d: ("[" * d + "]" * d).encode()))
content_types = st.sampled_from(["application/json", "application/ld+json", "application/vc+jwt", "application/jwt",
                                 "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])
queries = st.dictionaries(st.sampled_from(["cursor", "limit", "min_score", "status", "after", "email", "x"]),
                          HOSTILE | st.integers(min_value=-2**70, max_value=2**70).map(str), max_size=3)


@pytest.fixture(scope="module")
def apps(servers):
    settings = servers.settings(mongo_db="http_fuzz", fetch_allow_loopback=0)
    # Rate limits off: the fuzzer is one tenant sending hundreds of requests a minute.
    settings = replace(settings, rate_limit_webhooks_per_minute=0, rate_limit_api_per_minute=0,
                       rate_limit_verify_per_minute=0, rate_limit_verify_anonymous_per_minute=0)
    built = {"ingest": ingest_app(settings), "verification": verification_app(settings), "matching": matching_app(settings)}
    repo = TenantRepository(built["ingest"].extensions["ingest"].tenants.tenants.database, settings)
    tenant, key = repo.create_tenant("Fuzz")
    repo.add_connection(tenant, "generic")
    yield built, tenant, key
    built["ingest"].extensions["ingest"].publisher.close()


def _paths(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"})


def _fill(rule: str, values: list[str], tenant: str) -> str:
    out = rule
    for i, name in enumerate(re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)):
        # Percent-encoded as any HTTP client sends a path segment ("null" stands for the fuzz tenant's real id).
        value = tenant if name == "tenant" and values[i] == "null" else quote(values[i], safe="")
        out = re.sub(r"<(?:[^:>]+:)?" + re.escape(name) + ">", lambda _m, v=value: v, out, count=1)
    return out


tried: dict[str, int] = {}


@pytest.mark.parametrize("service", ["ingest", "verification", "matching"])
def test_no_route_answers_5xx_and_every_error_is_problem_json(apps, service):
    built, tenant, key = apps
    app = built[service]
    client = app.test_client()
    rules = _paths(app)

    @hsettings(max_examples=REQUESTS, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(rule=st.sampled_from(rules), values=st.lists(HOSTILE, min_size=3, max_size=3), method=methods,
           query=queries, body=bodies, content_type=content_types, auth=st.sampled_from(["none", "valid", "junk"]))
    def one_request(rule, values, method, query, body, content_type, auth):
        headers = {"Content-Type": content_type} if content_type else {}
        if auth == "valid":
            headers["Authorization"] = f"Bearer {key}"
        elif auth == "junk":
            headers["Authorization"] = "Bearer cbk_" + re.sub(r"[\r\n]", "", values[0])  # a header cannot carry one
        path = _fill(rule, values, tenant)
        resp = client.open(path, method=method, query_string=query, data=body, headers=headers)
        tried[service] = tried.get(service, 0) + 1
        assert resp.status_code < 500 or path.rstrip("/") == "/readyz", (method, path, resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json", (method, path, resp.status_code, resp.mimetype)

    one_request()
    print(f"\n{service}: {tried[service]} requests, 0 answered 5xx")
