"""An app built without the recruiter read side (as unit tests build it) says so, rather than failing with a 500."""
from __future__ import annotations

import pytest

from services.matching.app import build_app
from tests.unit.matching_fakes import FakeMatchingRepository, FakeTenants

KEY = "cbk_one.secret"


@pytest.fixture
def client():
    return build_app(repo=FakeMatchingRepository(), tenants=FakeTenants({KEY: "t1"}), ready_checks={}).test_client()


@pytest.mark.parametrize("path", ["/v1/roles/job-1/candidates", "/v1/candidates/c-1/credentials"])
def test_the_recruiter_views_of_an_app_without_a_read_side_answer_501_not_implemented(client, path):
    response = client.get(path, headers={"Authorization": f"Bearer {KEY}"})
    assert (response.status_code, response.mimetype) == (501, "application/problem+json")
