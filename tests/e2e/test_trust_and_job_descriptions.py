"""Two things that change what a recruiter sees without a new webhook, end to end on the running services: trusting
an issuer with `credbridge trust add` re-scores its applications, and a job's first application brings the job's
advert from the ATS's job API, so suggest needs no pasted description."""
from __future__ import annotations

import json
import time
import uuid

import requests

from services.ingest.providers import greenhouse
from tests.support.fake_ats_jobs import ACTING_USER, CLIENT_ID, CLIENT_SECRET, JOB, FakeJobAPIs
from tests.support.issuer import Issuer

POLICY = {"essential_minimum": "recognised"}
REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]


def test_trusting_the_issuer_with_the_cli_re_scores_the_application_without_a_new_webhook(api):
    tenant, issuer = api.new_tenant(), Issuer.generate(name="Bootcamp")
    role = {"title": "Engineer", "requirements": REQUIREMENTS, "credibility": POLICY}
    assert requests.put(f"{api.matching}/v1/roles/job-tr-1", json=role, headers=api.auth(tenant),
                        timeout=10).status_code == 201
    token = issuer.vc_jwt(subject_email="ada@example.org")
    assert api.send(tenant, application_id="app-tr-1", job_id="job-tr-1", credentials=[{"jwt": token}]).status_code == 202
    before = api.wait_score(tenant, "app-tr-1", until=lambda doc: doc.get("status") == "scored")
    assert before["score"] == 0 and "issuer not in your registry" in before["requirements"][0]["reason"]

    api.cli("trust", "add", "--tenant", tenant["tenant"], "--did", issuer.did)
    after = api.wait_score(tenant, "app-tr-1", until=lambda doc: doc.get("score") == 100, timeout_s=30)
    assert "in your trust registry" in after["requirements"][0]["reason"]
    assert after["score_version"] == before["score_version"]


def test_a_greenhouse_jobs_first_application_brings_its_advert_and_suggest_reads_it(api):
    with FakeJobAPIs() as ats:
        tenant = api.cli("tenant", "create", f"Employer {uuid.uuid4().hex[:6]}")
        conn = api.cli("connection", "add", tenant["tenant"], "greenhouse", "--base-url", ats.base_url,
                       "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--acting-user", ACTING_USER,
                       "--auth-url", f"{ats.base_url}/token")
        auth = {"Authorization": f"Bearer {tenant['api_key']}"}
        job = JOB["greenhouse"]
        role = {"title": "Data engineer", "requirements": REQUIREMENTS}
        assert requests.put(f"{api.matching}/v1/roles/{job}", json=role, headers=auth, timeout=10).status_code == 201
        body = json.dumps({"action": "new_candidate_application", "payload": {"application": {
            "id": 901, "jobs": [{"id": int(job)}], "candidate": {
                "id": 77, "first_name": "Ada", "last_name": "Byron",
                "email_addresses": [{"value": "ada@example.org"}]}}}}).encode()
        sent = requests.post(conn["webhook_url"], data=body, headers=greenhouse.sign(conn["secret"], body), timeout=30)
        assert sent.status_code == 200, sent.text
        deadline, shown = time.monotonic() + 30, {}
        while time.monotonic() < deadline and not shown.get("job_description"):
            shown = requests.get(f"{api.matching}/v1/roles/{job}", headers=auth, timeout=10).json()
            time.sleep(0.2)
        assert shown["job_description"]["source"] == "greenhouse.job_posts" and shown["description"] is None
        suggested = requests.post(f"{api.matching}/v1/roles/{job}/suggest", headers=auth, timeout=10).json()
        assert suggested["description_from"] == "ats"
        assert {"Python (computer programming)", "SQL"} <= {s["competency"] for s in suggested["suggestions"]}
        assert [c[:2] for c in ats.calls] == [("POST", "/token"), ("GET", f"/v3/job_posts?job_ids={job}")]
