"""ATS write-back end to end: a signed webhook ends with its score in the fake ATS (the generic signed callback);
revoking the credential re-scores it and the callback brings the lower score, and the score over HTTP says so."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from tests.support.ats_deliveries import NEW_APPLICATION, fixture, signed
from tests.support.fake_ats import FakeATS
from tests.support.fake_ats_write import FakeAtsWrites
from tests.support.issuer import Issuer
from tests.support.status_host import StatusHost
from tests.support.status_lists import credential_with_status, list_credential, status_entry
from tests.support.waiting import wait_for

REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]


@pytest.fixture
def host():
    with StatusHost() as running_host:
        yield running_host


@pytest.fixture
def ats():
    with FakeAtsWrites() as fake:
        yield fake


def test_a_webhook_ends_with_its_score_in_the_ats_and_a_revocation_replaces_it_with_the_lower_one(api, host, ats):
    tenant, issuer = api.new_tenant(), Issuer.generate()
    ats.callback_secret = tenant["secret"]   # the receiver checks the callback with the generic webhook's secret
    api.cli("connection", "writeback", tenant["tenant"], "generic", "--enable", "--callback-url", f"{ats.base_url}/callback")
    url = host.serve("/lists/wb", list_credential(issuer, url=host.url("/lists/wb"), ttl_ms=1000))
    token = credential_with_status(issuer, [status_entry(url, 7)], subject_email="ada@example.org")
    assert api.put_role(tenant, "job-wb-1", REQUIREMENTS).status_code in (200, 201)
    assert api.send(tenant, application_id="app-wb-1", job_id="job-wb-1", credentials=[{"jwt": token}]).status_code == 202

    wait_for(lambda: any(c["score"] == 100 for c in ats.callbacks), timeout_s=60, what="the score in the ATS")
    first = [c for c in ats.callbacks if c["score"] == 100][0]
    assert first["application_id"] == "app-wb-1" and first["tags"] == ["credbridge: verified 1/1"]
    assert first["requirements"][0]["status"] == "met"
    shown = api.wait_score(tenant, "app-wb-1", until=lambda d: (d.get("writeback") or {}).get("outcome") == "written")
    assert shown["writeback"]["provider"] == "generic" and shown["writeback"]["written_at"]

    host.serve("/lists/wb", list_credential(issuer, url=url, ttl_ms=1000, set_bits=[7]))
    wait_for(lambda: ats.callbacks[-1]["score"] == 0, timeout_s=60, what="the lower score in the ATS")
    assert ats.callbacks[-1]["tags"] == ["credbridge: verified 0/1"]
    # One callback per change of score: re-scores with the same outcome wrote nothing more. (Until matching stops
    # publishing provisional scores, a 0 while the credential was still being verified may come first.)
    scores = [c["score"] for c in ats.callbacks]
    assert scores[-2:] == [100, 0] and all(a != b for a, b in zip(scores, scores[1:], strict=False))
    status = api.cli("writeback", "status", tenant["tenant"])
    assert status["counts"] == {"generic": {"written": 1}} and status["not_written"] == []


def _fixture_without_hosts(name: str) -> bytes:
    # The fixtures' credential links point at example hosts; a closed loopback port fails them fast.
    return fixture(name, replace={"https://badges.example.org": "http://127.0.0.1:9",
                                  "https://www.credly.com": "http://127.0.0.1:9"})


def _deliver(provider: str, tenant: dict) -> None:
    body, headers = signed(provider, tenant["secret"], _fixture_without_hosts(NEW_APPLICATION[provider]),
                           now=time.time(), delivery_id=f"evt-{uuid.uuid4().hex[:8]}")
    assert requests.post(tenant["webhook_url"], data=body, headers=headers, timeout=30).status_code == 200


def test_a_greenhouse_application_gets_its_field_note_and_tag_and_a_role_change_swaps_the_tag(api, ats):
    tenant = api.cli("tenant", "create", f"Employer gh {uuid.uuid4().hex[:6]}")
    tenant = {**tenant, **api.cli("connection", "add", tenant["tenant"], "greenhouse")}
    api.cli("connection", "writeback", tenant["tenant"], "greenhouse", "--enable", "--client-id", "gh-client",
            "--client-secret", "gh-secret", "--acting-user", "4080", "--base-url", ats.base_url,
            "--auth-url", f"{ats.base_url}/token")
    assert api.put_role(tenant, "371417", REQUIREMENTS).status_code in (200, 201)
    _deliver("greenhouse", tenant)
    wait_for(lambda: ats.greenhouse_tags("35955844") == {"credbridge: verified 0/1"}, timeout_s=90,
             what="the score in Greenhouse")
    assert ats.gh_fields["46194062"] == {"credbridge_score": 0}
    assert ats.gh_notes["35955844"][-1]["body"].startswith("credbridge verified-credential score: 0/100")
    two = REQUIREMENTS + [{"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 1}]
    assert api.put_role(tenant, "371417", two).status_code == 200
    wait_for(lambda: ats.greenhouse_tags("35955844") == {"credbridge: verified 0/2"}, timeout_s=60,
             what="the re-score in Greenhouse")
    shown = api.score(tenant, "46194062").json()["writeback"]
    assert shown["provider"] == "greenhouse" and {w["kind"] for w in shown["where"]} == {"custom_field", "note", "tag"}


def test_a_lever_opportunity_gets_one_note_and_one_tag_however_often_it_is_rescored(api, ats):
    with FakeATS() as reads:
        reads.serve("/v1/opportunities/9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c10?expand=applications",
                    json.loads(_fixture_without_hosts("lever_opportunity.json")))
        tenant = api.cli("tenant", "create", f"Employer lever {uuid.uuid4().hex[:6]}")
        tenant = {**tenant, **api.cli("connection", "add", tenant["tenant"], "lever", "--api-key", "read-key",
                                      "--base-url", reads.base_url)}
        api.cli("connection", "writeback", tenant["tenant"], "lever", "--enable", "--api-key", "lever-key",
                "--acting-user", "user-7", "--base-url", ats.base_url)
        job = "f2f01e16-27f8-4711-a728-7d49499795a0"
        assert api.put_role(tenant, job, REQUIREMENTS).status_code in (200, 201)
        _deliver("lever", tenant)
        opp = "9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c10"
        wait_for(lambda: ats.lever_tags.get(opp) == {"credbridge: verified 0/1"}, timeout_s=90,
                 what="the score in Lever")
        two = REQUIREMENTS + [{"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 1}]
        assert api.put_role(tenant, job, two).status_code == 200
        wait_for(lambda: ats.lever_tags.get(opp) == {"credbridge: verified 0/2"}, timeout_s=60,
                 what="the re-score in Lever")
        wait_for(lambda: len(ats.lever_notes[opp]) == 1, timeout_s=10, what="the old note deleted")
        [note] = ats.lever_notes[opp].values()
        assert "Kubernetes" in note["value"] and note["user"] == ["user-7"]


def test_an_ashby_application_gets_its_field_and_note_and_a_re_score_updates_the_field(api, ats):
    tenant = api.cli("tenant", "create", f"Employer ashby {uuid.uuid4().hex[:6]}")
    tenant = {**tenant, **api.cli("connection", "add", tenant["tenant"], "ashby")}
    api.cli("connection", "writeback", tenant["tenant"], "ashby", "--enable", "--api-key", "ashby-key",
            "--score-field", "cf-score-0001", "--no-tags", "--base-url", ats.base_url)
    job, application = "6bd2e8c6-7a04-4a4c-a0ad-4f0d8e3c8b40", "3ae2b801-19f6-41ef-ad28-214bd731948f"
    candidate = "5b591aed-88e3-4395-b9c6-7e6b1d0a7d84"
    assert api.put_role(tenant, job, REQUIREMENTS).status_code in (200, 201)
    _deliver("ashby", tenant)
    wait_for(lambda: ats.ashby.fields.get(application) == {"cf-score-0001": 0}, timeout_s=90,
             what="the score in Ashby")
    assert ats.ashby.notes[candidate][-1]["content"].startswith("<p><b>credbridge verified-credential score: 0/100")
    two = REQUIREMENTS + [{"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 1}]
    assert api.put_role(tenant, job, two).status_code == 200
    wait_for(lambda: "Kubernetes" in ats.ashby.notes[candidate][-1]["content"], timeout_s=60,
             what="the re-score in Ashby")
    shown = api.score(tenant, application).json()["writeback"]
    assert shown["provider"] == "ashby" and {w["kind"] for w in shown["where"]} == {"custom_field", "note"}
