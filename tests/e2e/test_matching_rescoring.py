"""Matching end to end: a revocation arriving on the real broker re-scores the application and announces it.

Issue 5's re-verification (status lists) is not in yet, so the revocation is driven the way it will
arrive: a new `credential.verified` event for the same credential, verdict failed with a failed
revocation check, published onto the real broker.
"""
from __future__ import annotations

import time

import requests

from shared.events import SCORES_COMPUTED, new_event
from shared.kafka import Publisher

from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader

REQUIREMENTS = [
    {"id": "py", "competency": "Python programming", "importance": "essential", "weight": 2},
    {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1},
    {"id": "agile", "competency": "Agile", "importance": "preferred", "weight": 1},
]


def settled(doc):
    return doc.get("status") == "scored" and len(doc["credentials"]) == 3 and all(c["verdict"] for c in doc["credentials"])


def revocation(tenant_id: str, *, credential: dict, application_id: str):
    report = {"verdict": "failed", "format": "vc-jwt", "achievement": {"name": credential["achievement"]},
              "issuer": credential["issuer"], "checked_at": "2026-11-25T12:00:00+00:00",
              "checks": [{"code": "status.revocation", "status": "failed",
                          "message": "the issuer's status list marks this credential revoked"}]}
    return new_event("credential.verified", tenant=tenant_id, payload={
        "credential_id": credential["credential_id"], "application_id": application_id,
        "candidate_id": f"cand-{application_id}", "report": report})


def test_a_revocation_on_the_broker_re_scores_the_application_and_publishes_the_new_score(api, e2e_settings):
    tenant = api.new_tenant()
    assert api.put_role(tenant, "job-revoke", REQUIREMENTS).status_code == 201
    issuer = Issuer.generate(name="Northwind Academy")
    jwts = [issuer.vc_jwt(achievement_name=n) for n in ("Python (computer programming)", "SQL", "Agile")]
    assert api.send(tenant, application_id="app-revoke", job_id="job-revoke",
                    credentials=[{"jwt": j} for j in jwts]).status_code == 202
    before = api.wait_score(tenant, "app-revoke", until=lambda d: settled(d) and d["score"] == 100)
    sql = next(c for c in before["credentials"] if c["achievement"] == "SQL")

    reader = TopicReader(e2e_settings.kafka_bootstrap_servers, SCORES_COMPUTED)
    publisher = Publisher(e2e_settings, client_id="e2e-revoker")
    try:
        publisher.publish([revocation(tenant["tenant"], credential=sql, application_id="app-revoke")])
        after = api.wait_score(tenant, "app-revoke", until=lambda d: d["score"] != 100)
        reader.read(until=lambda _: any(e.payload["application_id"] == "app-revoke" and e.payload["score"] == 75
                                        for e in reader.events(SCORES_COMPUTED)))
        announced = [e for e in reader.events(SCORES_COMPUTED) if e.payload["application_id"] == "app-revoke"]
    finally:
        publisher.close()
        reader.close()

    assert after["score"] == 75
    by_id = {r["id"]: r for r in after["requirements"]}
    assert by_id["sql"]["status"] == "missing" and "revoked" in by_id["sql"]["reason"]
    assert [c["status"] for c in by_id["sql"]["credentials"]] == ["revoked"]
    assert by_id["py"]["credentials"][0]["match"] == "vocabulary"
    assert [e.payload["score"] for e in announced] == [75]


def test_a_role_with_no_requirements_yet_shows_unscored_then_ranks_once_defined(api):
    tenant = api.new_tenant()
    jwt = Issuer.generate().vc_jwt(achievement_name="SQL")
    api.send(tenant, application_id="app-early", job_id="job-later", credentials=[{"jwt": jwt}])
    early = api.wait_score(tenant, "app-early", until=lambda d: d["credentials"] and d["credentials"][0]["verdict"])
    assert (early["status"], early["score"], early["reason"]) == ("unscored", None, "role has no requirements")
    assert api.put_role(tenant, "job-later", REQUIREMENTS).status_code == 201
    scored = api.wait_score(tenant, "app-early", until=lambda d: d["status"] == "scored")
    assert scored["score"] == 25
    time.sleep(2.1)  # the ranking lists scores settled before the walk begins (recruiter.SETTLE_S)
    page = requests.get(f"{api.matching}/v1/roles/job-later/candidates", headers=api.auth(tenant), timeout=10).json()
    assert [(c["application_id"], c["score"]) for c in page["candidates"]] == [("app-early", 25)]
    role = requests.get(f"{api.matching}/v1/roles/job-later", headers=api.auth(tenant), timeout=10).json()
    assert role["rescoring"]["pending"] == 0
