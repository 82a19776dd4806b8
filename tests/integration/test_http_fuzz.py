"""Every route of every service, fuzzed over HTTP against the real database and broker: never a 5xx, every error
is application/problem+json, and every answer is as the app's served OpenAPI says (status documented, body of its
schema). Requests are drawn per app from its own url map (hostile path values, queries,
headers, bodies), REQUESTS of them per app, so the suite stays fast; the counts tried are printed.
"""
from __future__ import annotations

import json
import re
import time
from urllib.parse import quote
from dataclasses import replace

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from services.ingest.app import create_app as ingest_app
from services.ingest.signatures import sign_generic
from services.matching.app import create_app as matching_app
from services.verification.app import create_app as verification_app
from services.writeback.app import create_app as writeback_app
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
    built = {"ingest": ingest_app(settings), "verification": verification_app(settings), "matching": matching_app(settings),
             "writeback": writeback_app(settings)}
    repo = TenantRepository(built["ingest"].extensions["ingest"].tenants.tenants.database, settings)
    tenant, key = repo.create_tenant("Fuzz")
    secret = repo.add_connection(tenant, "generic")
    yield built, tenant, key, secret
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


def _json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema (null allowed), so jsonschema can check an answer."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _openapi_check(spec: dict):
    """Checks an answer of the matching API against its served OpenAPI: status documented, body of that schema."""
    components = _json_schema(spec["components"])
    operations = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        operations += [(pattern, method.upper(), op) for method, op in item.items() if method != "parameters"]

    def check(method: str, path: str, resp) -> None:
        if {".", ".."} & set(path.split("?")[0].split("/")):
            return  # dot segments are resolved before routing (a redirect): no operation's parameter is ".."
        if "%2f" in path.split("?")[0].lower():
            return  # an encoded slash is decoded before routing: the path has another segment, it is no operation's
        op = next((op for pattern, m, op in operations if m == method and pattern.match(path.split("?")[0])), None)
        if op is None:
            return  # not an operation of the API (another method on its path is a 405 problem, checked above)
        documented = op["responses"].get(str(resp.status_code))
        assert documented is not None, (method, path, resp.status_code, "status not in the OpenAPI")
        content = documented.get("content") or {}
        if resp.status_code == 204 or not content:
            return
        assert resp.mimetype in content, (method, path, resp.status_code, resp.mimetype)
        schema = {**_json_schema(content[resp.mimetype]["schema"]), "components": components}
        jsonschema.validate(resp.get_json(), schema)
    return check


@pytest.mark.parametrize("service", ["ingest", "verification", "matching", "writeback"])
def test_no_route_answers_5xx_and_every_error_is_problem_json(apps, service):
    built, tenant, key, _secret = apps
    app = built[service]
    client = app.test_client()
    rules = _paths(app)
    conforms = _openapi_check(client.get("/openapi.json").get_json())

    @hsettings(max_examples=REQUESTS, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(rule=st.sampled_from(rules), values=st.lists(HOSTILE, min_size=3, max_size=3), method=methods,
           query=queries, body=bodies, content_type=content_types, auth=st.sampled_from(["none", "valid", "junk"]))
    def one_request(rule, values, method, query, body, content_type, auth):
        headers = {"Content-Type": content_type} if content_type else {}
        path = _fill(rule, values, tenant)
        if auth == "valid":
            headers["Authorization"] = f"Bearer {key}"
        elif auth == "junk":
            headers["Authorization"] = "Bearer cbk_" + re.sub(r"[\r\n]", "", values[0])  # a header cannot carry one
        resp = client.open(path, method=method, query_string=query, data=body, headers=headers)
        tried[service] = tried.get(service, 0) + 1
        assert resp.status_code < 500 or path.rstrip("/") == "/readyz", (method, path, resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400 and not path.startswith("/app/"):  # the web page's errors are pages, for people
            assert resp.mimetype == "application/problem+json", (method, path, resp.status_code, resp.mimetype)
        conforms(method, path, resp)

    one_request()
    print(f"\n{service}: {tried[service]} requests, 0 answered 5xx")


def test_the_matching_openapi_documents_every_error_the_api_answers(apps):
    built, _tenant, key, _secret = apps
    client = built["matching"].test_client()
    conforms = _openapi_check(client.get("/openapi.json").get_json())
    auth = {"Authorization": f"Bearer {key}"}
    deep = ("[" * 100 + "]" * 100).encode()
    answers = [
        ("PUT", "/v1/roles/r1", client.put("/v1/roles/r1", data=deep, headers={**auth, "Content-Type": "application/json"})),
        ("PUT", "/v1/roles/r1", client.put("/v1/roles/r1", data=b"x" * 300_000, headers={**auth, "Content-Type": "application/json"})),
        ("PUT", "/v1/roles/r1", client.put("/v1/roles/r1", data=b"{}", headers={**auth, "Content-Type": "text/plain"})),
        ("GET", "/v1/roles/r1/candidates", client.get("/v1/roles/r1/candidates?cursor=nope", headers=auth)),
        ("PUT", "/v1/synonyms", client.put("/v1/synonyms", data=deep, headers={**auth, "Content-Type": "application/json"})),
    ]
    answers.append(("GET", "/v1/roles", client.get("/v1/roles", headers=auth)))  # a 200 body against its schema too
    assert [a.status_code for _m, _p, a in answers] == [400, 413, 415, 404, 400, 200]
    for method, path, resp in answers:
        conforms(method, path, resp)


def test_every_matching_operation_with_a_body_documents_its_answer_to_a_wrong_media_type(apps):
    # Deterministic beside the fuzz above, which found PUT /v1/credibility's undocumented 415 only on some draws.
    built, _tenant, key, _secret = apps
    client = built["matching"].test_client()
    spec = client.get("/openapi.json").get_json()
    conforms = _openapi_check(spec)
    with_body = [(re.sub(r"\{[^}]+\}", "r1", template), method.upper())
                 for template, item in spec["paths"].items() for method, op in item.items()
                 if method != "parameters" and "requestBody" in op]
    assert ("PUT", "/v1/credibility") in [(m, p) for p, m in with_body]
    for path, method in with_body:
        resp = client.open(path, method=method, data=b"<xml/>",
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
        assert resp.status_code == 415, (method, path, resp.status_code)
        conforms(method, path, resp)


generic_deliveries = st.fixed_dictionaries({
    "event_id": HOSTILE, "application": st.fixed_dictionaries({"id": HOSTILE, "job_id": HOSTILE}) | json_values,
    "candidate": st.fixed_dictionaries({"id": HOSTILE, "emails": st.lists(HOSTILE, max_size=3)}) | json_values,
    "credentials": st.lists(st.fixed_dictionaries({}, optional={"url": HOSTILE, "jwt": HOSTILE, "document": json_values})
                            | json_values, max_size=4)}).map(lambda d: json.dumps(d).encode())


def test_signed_generic_webhooks_of_any_body_are_accepted_or_refused_with_a_4xx_problem(apps):
    built, tenant, _key, secret = apps
    client = built["ingest"].test_client()
    conforms = _openapi_check(client.get("/openapi.json").get_json())
    answers: dict[int, int] = {}

    @hsettings(max_examples=REQUESTS, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=generic_deliveries | bodies)
    def one_delivery(body):
        # Signed as the tenant's ATS would, so the body is parsed, validated and (if valid) published.
        resp = client.post(f"/v1/webhooks/generic/{tenant}", data=body, headers=sign_generic(secret, body, int(time.time())))
        answers[resp.status_code] = answers.get(resp.status_code, 0) + 1
        assert resp.status_code in (202, 400, 413, 422), (resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json"
        conforms("POST", f"/v1/webhooks/generic/{tenant}", resp)

    one_delivery()
    print(f"\nsigned generic webhooks: {sum(answers.values())} deliveries, answers {dict(sorted(answers.items()))}")


def test_a_verification_report_is_answered_as_the_verification_openapi_describes_it(apps):
    from tests.support.issuer import Issuer
    built, *_ = apps
    client = built["verification"].test_client()
    conforms = _openapi_check(client.get("/openapi.json").get_json())
    resp = client.post("/v1/verify", data=Issuer.generate().vc_jwt(), content_type="application/vc+jwt")
    assert resp.status_code == 200 and resp.get_json()["verdict"] == "verified"
    conforms("POST", "/v1/verify", resp)
