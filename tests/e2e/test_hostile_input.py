"""Hostile input through the running services: an oversized link, a credential whose report outgrows a record, a
deeply nested body. Each is answered plainly, and the next application on the same partition is still scored."""
from __future__ import annotations

import json
import time
import uuid

import requests
from pymongo import MongoClient

from services.ingest.signatures import sign_generic
from tests.support.credential_host import CredentialHost
from tests.support.issuer import Issuer
from tests.support.partitions import same_partition

ROLE = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]


def giant_claims() -> dict:
    """A 150 kB credential whose report (its claimed alignments, escaped) is over the 64 KiB report limit."""
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": "did:example:issuer", "type": ["Profile"]},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                "id": "urn:uuid:1", "type": ["Achievement"], "name": "Python Programming", "description": "x",
                "criteria": {"narrative": "x"},
                "alignment": [{"type": ["Alignment"], "targetName": f"skill \u0001\u0002 {i}", "targetUrl": f"https://e.org/{i}"}
                              for i in range(2500)]}}}


def test_hostile_credentials_and_bodies_never_stop_the_next_application_on_the_partition_from_being_scored(api, e2e_settings):
    tenant = api.new_tenant()
    api.put_role(tenant, "job-hostile", ROLE)
    hostile = f"app-hostile-{uuid.uuid4().hex[:6]}"
    honest = same_partition(tenant["tenant"], hostile)
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    with CredentialHost() as host:
        big = host.add("/big/credential.json", json.dumps({"type": "VerifiableCredential", "name": "x" * 1_500_000}))
        nested = host.add("/deep/credential.json", deep)
        resp = api.send(tenant, application_id=hostile, job_id="job-hostile",
                        credentials=[{"url": big}, {"url": nested}, {"document": giant_claims()}])
        assert resp.status_code == 202, resp.text
        body = deep.encode()
        refused = requests.post(tenant["webhook_url"], data=body, timeout=10,
                                headers=sign_generic(tenant["secret"], body, int(time.time())))
        assert refused.status_code == 400 and refused.headers["Content-Type"] == "application/problem+json"
        resp = api.send(tenant, application_id=honest, job_id="job-hostile",
                        credentials=[{"jwt": Issuer.generate().vc_jwt(achievement_name="Python Programming")}])
        assert resp.status_code == 202, resp.text
        scored = api.wait_score(tenant, honest, until=lambda d: d.get("score") == 100, timeout_s=60)
        assert scored["requirements"][0]["status"] == "met"
        view = api.wait_score(tenant, hostile, until=lambda d: len(d.get("unretrieved") or []) == 2, timeout_s=60)
    reasons = {u["provenance"]: u["reason"] for u in view["unretrieved"]}
    assert reasons["webhook.credentials[0] -> hosted JSON"].startswith("too large: the credential is")
    assert "does not parse" in reasons["webhook.credentials[1]"]
    assert view["score"] == 0  # the giant credential is unsigned: verified as failed, trimmed, never a wedge
    [verdict] = MongoClient(e2e_settings.mongo_uri)[e2e_settings.mongo_db]["verdicts"].find(
        {"tenant": tenant["tenant"], "application_id": hostile})
    assert "report.truncated" in verdict["report"]["flags"] and verdict["report"]["verdict"] == "failed"
