"""ATS write-back end to end: a signed webhook ends with its score in the fake ATS (the generic signed callback);
revoking the credential re-scores it and the callback brings the lower score, and the score over HTTP says so."""
from __future__ import annotations

import pytest

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
