"""Webhook to score through all three running services, over HTTP and the real broker."""
from __future__ import annotations

import requests

from tests.support.issuer import Issuer, tamper

REQUIREMENTS = [
    {"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 3},
    {"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 1},
]


def is_scored(doc):
    return doc.get("status") == "scored" and all(r["status"] != "pending" for r in doc["requirements"]) \
        and len(doc.get("credentials", [])) > 0 and all(c.get("verdict") for c in doc["credentials"])


def test_a_signed_webhook_with_a_genuine_vc_jwt_yields_a_score_a_recruiter_can_read(api):
    tenant = api.new_tenant()
    assert api.put_role(tenant, "job-e2e-1", REQUIREMENTS).status_code in (200, 201)
    jwt = Issuer.generate().vc_jwt(achievement_name="Python Programming")
    resp = api.send(tenant, application_id="app-e2e-1", job_id="job-e2e-1", credentials=[{"jwt": jwt}])
    assert resp.status_code == 202, resp.text
    doc = api.wait_score(tenant, "app-e2e-1", until=is_scored)
    assert doc["role_id"] == "job-e2e-1"
    assert doc["score"] == 75  # 3 of 4 weight met; the only essential requirement is met, so no cap
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert by_id["py"]["status"] == "met" and by_id["k8s"]["status"] == "missing"
    assert [c["verdict"] for c in doc["credentials"]] == ["verified"]


def test_a_tampered_vc_jwt_is_failed_and_contributes_nothing(api):
    tenant = api.new_tenant()
    api.put_role(tenant, "job-e2e-2", REQUIREMENTS)
    forged = tamper(Issuer.generate().vc_jwt(achievement_name="Kubernetes"), achievement_name="Python Programming")
    api.send(tenant, application_id="app-e2e-2", job_id="job-e2e-2", credentials=[{"jwt": forged}])
    doc = api.wait_score(tenant, "app-e2e-2", until=is_scored)
    assert [c["verdict"] for c in doc["credentials"]] == ["failed"]
    assert doc["score"] == 0
    assert all(r["status"] == "missing" for r in doc["requirements"])


def test_another_tenants_application_is_404_and_no_key_is_401(api):
    owner, other = api.new_tenant(), api.new_tenant()
    api.put_role(owner, "job-e2e-3", REQUIREMENTS)
    api.send(owner, application_id="app-e2e-3", job_id="job-e2e-3",
             credentials=[{"jwt": Issuer.generate().vc_jwt()}])
    api.wait_score(owner, "app-e2e-3", until=is_scored)
    assert api.score(other, "app-e2e-3").status_code == 404
    anon = requests.get(f"{api.matching}/v1/applications/app-e2e-3/score", timeout=10)
    assert anon.status_code == 401 and anon.headers["Content-Type"].startswith("application/problem+json")


def test_the_synchronous_verify_endpoint_returns_the_same_verdicts(api):
    issuer = Issuer.generate()
    good = requests.post(f"{api.verification}/v1/verify", data=issuer.vc_jwt(),
                         headers={"Content-Type": "application/vc+jwt"}, timeout=10)
    bad = requests.post(f"{api.verification}/v1/verify", data=tamper(issuer.vc_jwt()),
                        headers={"Content-Type": "application/jwt"}, timeout=10)
    assert good.json()["verdict"] == "verified"
    assert bad.json()["verdict"] == "failed"
    assert {c["code"]: c["status"] for c in bad.json()["checks"]}["proof.signature"] == "failed"


def test_every_service_is_ready_and_serves_metrics(api):
    for base in (api.ingest, api.verification, api.matching):
        assert requests.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
        assert "credbridge_http_requests_total" in requests.get(f"{base}/metrics", timeout=10).text
