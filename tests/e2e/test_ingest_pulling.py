"""Credentials given by URL are pulled by the running ingest worker from a real local credential host, verified,
and scored; one that cannot be retrieved is said so on credentials.unavailable."""
from __future__ import annotations

import uuid

import pytest

from shared import events
from tests.support.credential_host import CredentialHost, baked_png
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader

REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]


@pytest.fixture
def host():
    with CredentialHost() as h:
        yield h


def scored_with_verdicts(doc):
    return doc.get("status") == "scored" and doc.get("credentials") and all(c.get("verdict") for c in doc["credentials"])


def test_a_credential_given_as_a_url_to_a_baked_badge_ends_verified_and_scored(api, host):
    tenant = api.new_tenant()
    job, app_id = f"job-{uuid.uuid4().hex[:6]}", f"app-{uuid.uuid4().hex[:6]}"
    api.put_role(tenant, job, REQUIREMENTS)
    token = Issuer.generate().vc_jwt(achievement_name="Python Programming")
    url = host.add("/badges/python.png", baked_png(token, keyword="openbadgecredential"), content_type="image/png")
    resp = api.send(tenant, application_id=app_id, job_id=job, credentials=[{"url": url}])
    assert resp.status_code == 202, resp.text
    doc = api.wait_score(tenant, app_id, until=scored_with_verdicts, timeout_s=45)
    assert [c["verdict"] for c in doc["credentials"]] == ["verified"]
    assert doc["score"] == 100
    assert host.hits["/badges/python.png"] == 1


def test_an_unreachable_credential_url_ends_with_credentials_unavailable_on_the_broker(api, servers):
    reader = TopicReader(servers.kafka.bootstrap, events.CREDENTIALS_UNAVAILABLE, events.APPLICATIONS_READY)
    try:
        tenant = api.new_tenant()
        app_id = f"app-{uuid.uuid4().hex[:6]}"
        with CredentialHost() as closed:
            unreachable = closed.url("/gone.json")
        resp = api.send(tenant, application_id=app_id, job_id="job-x", credentials=[{"url": unreachable}])
        assert resp.status_code == 202, resp.text

        def mine(seen, topic):
            return [e for e in map(events.decode, (r.value for r in seen[topic]))
                    if app_id in (e.payload.get("application_id"), e.payload.get("application", {}).get("id"))]
        seen = reader.read(until=lambda s: mine(s, events.APPLICATIONS_READY), timeout_s=45)
    finally:
        reader.close()
    [gone] = mine(seen, events.CREDENTIALS_UNAVAILABLE)
    assert gone.tenant == tenant["tenant"]
    assert gone.payload["provenance"] == "webhook.credentials[0]"
    assert gone.payload["reason"].startswith("could not be retrieved after retrying")
    [ready] = mine(seen, events.APPLICATIONS_READY)
    assert ready.payload["credential_ids"] == []
    # The recruiter sees "could not be retrieved" instead of silence.
    view = api.wait_score(tenant, app_id, until=lambda d: d.get("unretrieved"))
    assert view["unretrieved"] == [{"provenance": "webhook.credentials[0]", "status": "could not be retrieved",
                                    "reason": gone.payload["reason"]}]
