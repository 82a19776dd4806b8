"""Suggested requirements over the real database: the stored description is read, tenants are apart, nothing is scored."""
from __future__ import annotations

import pytest

from shared.tenants import TenantRepository

from services.matching.app import create_app
from services.matching.repository import MatchingRepository

pytestmark = pytest.mark.integration

DESCRIPTION = ("Data engineer\n\nRequirements:\n- Python (computer programming)\n- SQL\n\n"
               "Nice to have: experience with Hadoop.")
ROLE = {"title": "Data engineer", "description": DESCRIPTION,
        "requirements": [{"id": "sql", "competency": "SQL", "importance": "essential", "weight": 2}]}


@pytest.fixture
def world(settings, db):
    MatchingRepository(db).ensure_indexes()
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    keys = {}
    for name in ("t1", "t2"):
        tenant_id, _ = tenants.create_tenant(name)
        keys[name] = {"Authorization": f"Bearer {tenants.create_api_key(tenant_id)}"}
    client = create_app(settings).test_client()
    assert client.put("/v1/roles/job-1", json=ROLE, headers=keys["t1"]).status_code == 201
    return client, keys


def test_the_stored_description_gives_suggestions_and_the_role_is_left_as_it_was(world):
    client, keys = world
    before = client.get("/v1/roles/job-1", headers=keys["t1"]).json
    assert before["description"] == DESCRIPTION
    response = client.post("/v1/roles/job-1/suggest", headers=keys["t1"])
    assert response.status_code == 200, response.json
    found = {s["competency"]: s for s in response.json["suggestions"]}
    assert set(found) == {"Python (computer programming)", "SQL", "Hadoop"}
    assert (found["SQL"]["importance"], found["SQL"]["already_required"]) == ("essential", True)
    assert (found["Hadoop"]["importance"], found["Hadoop"]["importance_cue"]) == ("preferred", "Nice to have")
    after = client.get("/v1/roles/job-1", headers=keys["t1"]).json
    assert (after["revision"], after["requirements"]) == (before["revision"], before["requirements"])


def test_another_tenant_cannot_read_suggestions_for_the_role(world):
    client, keys = world
    response = client.post("/v1/roles/job-1/suggest", json={"description": "SQL"}, headers=keys["t2"])
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_replacing_the_synonyms_keeps_every_roles_description(world):
    client, keys = world
    assert client.put("/v1/synonyms", json={"groups": [["k8s", "Kubernetes"]]}, headers=keys["t1"]).status_code == 200
    role = client.get("/v1/roles/job-1", headers=keys["t1"]).json
    assert (role["revision"], role["description"]) == (2, DESCRIPTION)


def test_a_role_put_without_a_description_has_none_to_suggest_from(world):
    client, keys = world
    assert client.put("/v1/roles/job-1", json={**ROLE, "description": None}, headers=keys["t1"]).status_code == 200
    response = client.post("/v1/roles/job-1/suggest", headers=keys["t1"])
    assert response.status_code == 422 and "description" in response.json["errors"]
