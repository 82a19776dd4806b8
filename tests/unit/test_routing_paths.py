"""Paths that no route serves answer 404 problem+json, never a redirect to some other resource."""
from __future__ import annotations

import pytest

from services.matching.app import build_app
from tests.unit.matching_fakes import FakeMatchingRepository, FakeTenants

KEY = "cbk_one.secret"


@pytest.mark.parametrize("path", ["/v1/applications/0%2F/score", "/v1/applications//score",
                                  "/v1/roles/r1//candidates", "//v1/roles"])
def test_an_empty_or_encoded_slash_segment_is_a_404_problem_not_a_redirect(path):
    client = build_app(repo=FakeMatchingRepository(), tenants=FakeTenants({KEY: "t1"}), ready_checks={}).test_client()
    resp = client.get(path, headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert "Location" not in resp.headers
