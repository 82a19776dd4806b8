"""Revocation end to end: a status list served locally flips a bit, the worker's re-check publishes a new
verdict, and matching re-scores the application."""
from __future__ import annotations

import time

import pytest

from tests.support.issuer import Issuer
from tests.support.status_host import StatusHost
from tests.support.status_lists import credential_with_status, list_credential, status_entry

REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]
TTL_MS = 1000  # the list says "cache me for a second", so the re-check sees the flip promptly


@pytest.fixture
def host():
    with StatusHost() as running_host:
        yield running_host


def scored_with(verdict):
    return lambda doc: doc.get("status") == "scored" and [c.get("verdict") for c in doc.get("credentials", [])] == [verdict]


def test_revoking_a_credential_on_its_served_status_list_republishes_its_verdict_and_lowers_the_score(api, host):
    tenant, issuer = api.new_tenant(), Issuer.generate()
    url = host.serve("/lists/1", list_credential(issuer, url=host.url("/lists/1"), ttl_ms=TTL_MS))
    token = credential_with_status(issuer, [status_entry(url, 42)], subject_email="ada@example.org")
    assert api.put_role(tenant, "job-rev-1", REQUIREMENTS).status_code in (200, 201)
    assert api.send(tenant, application_id="app-rev-1", job_id="job-rev-1", credentials=[{"jwt": token}]).status_code == 202

    before = api.wait_score(tenant, "app-rev-1", until=scored_with("verified"))
    assert before["score"] == 100

    host.serve("/lists/1", list_credential(issuer, url=url, ttl_ms=TTL_MS, set_bits=[42]))
    after = api.wait_score(tenant, "app-rev-1", until=scored_with("failed"), timeout_s=30)
    assert after["score"] == 0


def test_a_credential_whose_status_list_is_unreachable_is_never_scored_as_verified(api, host):
    tenant, issuer = api.new_tenant(), Issuer.generate()
    token = credential_with_status(issuer, [status_entry(host.url("/lists/missing"), 3)])
    api.put_role(tenant, "job-rev-2", REQUIREMENTS)
    api.send(tenant, application_id="app-rev-2", job_id="job-rev-2", credentials=[{"jwt": token}])
    doc = api.wait_score(tenant, "app-rev-2", until=scored_with("indeterminate"))
    assert doc["score"] == 0
    time.sleep(1.5)  # several re-check passes: the verdict stays indeterminate while the list is missing
    assert [c["verdict"] for c in api.score(tenant, "app-rev-2").json()["credentials"]] == ["indeterminate"]
