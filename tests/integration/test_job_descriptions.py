"""A role's job description from its ATS, over the real database: ingest fetches the advert from the ATS's job API
(a fake on loopback, through the safe fetcher, with the connection's stored Harvest v3 client credentials), the jobs.described event it
publishes is stored by matching, and suggest reads it when the recruiter pasted none; the recruiter's own wins."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.ingest.jobs.describer import Job, JobFetches, describe_job, http_over
from services.matching.app import create_app
from services.matching.job_descriptions import JobDescriptions, handle_job_described
from services.matching.repository import MatchingRepository
from shared import events
from shared.fetch import Fetcher
from shared.settings import Settings
from shared.tenants import TenantRepository
from tests.support.fake_ats_jobs import ACTING_USER, CLIENT_ID, CLIENT_SECRET, JOB, FakeJobAPIs

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc)


@pytest.fixture
def ats():
    with FakeJobAPIs() as fake:
        yield fake


@pytest.fixture
def world(settings, db, ats):
    MatchingRepository(db).ensure_indexes()
    descriptions = JobDescriptions(db)
    descriptions.ensure_indexes()
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    ids, keys = {}, {}
    for name in ("t1", "t2"):
        ids[name], _ = tenants.create_tenant(name)
        keys[name] = {"Authorization": f"Bearer {tenants.create_api_key(ids[name])}"}
        tenants.add_connection(ids[name], "greenhouse", client=(CLIENT_ID, CLIENT_SECRET), options={
            "base_url": ats.base_url, "auth_url": f"{ats.base_url}/token", "acting_user": ACTING_USER})
    fetcher = Fetcher(Settings(fetch_allow_loopback=1))

    def application_arrives(tenant: str, *, job_id: str = JOB["greenhouse"], now: datetime = NOW) -> str:
        """What ingest's describer does for the job's first application, and matching's worker with its event."""
        published: list[events.Event] = []
        outcome = describe_job(Job(tenant, "greenhouse", job_id), tenants=tenants, http=http_over(fetcher),
                               fetches=JobFetches(db), publish=published.extend, now=now)
        for event in published:  # through the wire format, as Kafka carries it
            handle_job_described(events.decode(events.encode(event)), descriptions=descriptions)
        return outcome

    yield create_app(settings).test_client(), keys, ids, application_arrives, descriptions
    fetcher.close()


def role(description: str | None = None) -> dict:
    body = {"title": "Data engineer",
            "requirements": [{"id": "py", "competency": "Python", "importance": "essential", "weight": 1}]}
    return {**body, "description": description} if description is not None else body


def test_an_application_for_the_job_gives_its_role_the_ats_advert_and_suggest_needs_no_pasted_description(world):
    client, keys, ids, application_arrives, _ = world
    job = JOB["greenhouse"]
    assert client.put(f"/v1/roles/{job}", json=role(), headers=keys["t1"]).status_code == 201
    assert client.post(f"/v1/roles/{job}/suggest", headers=keys["t1"]).status_code == 422
    assert application_arrives(ids["t1"]) == "described"
    shown = client.get(f"/v1/roles/{job}", headers=keys["t1"]).json
    assert shown["description"] is None
    assert shown["job_description"]["source"] == "greenhouse.job_posts"
    assert "Kubernetes is required" in shown["job_description"]["text"]
    response = client.post(f"/v1/roles/{job}/suggest", headers=keys["t1"])
    assert response.status_code == 200, response.json
    assert response.json["description_from"] == "ats"
    found = {s["competency"]: s["importance"] for s in response.json["suggestions"]}
    assert found == {"Python (computer programming)": "essential", "SQL": "essential"}


def test_the_description_the_recruiter_put_wins_and_is_never_overwritten_by_the_ats(world):
    client, keys, ids, application_arrives, _ = world
    job, own = JOB["greenhouse"], "We need Java programmers."
    assert client.put(f"/v1/roles/{job}", json=role(own), headers=keys["t1"]).status_code == 201
    application_arrives(ids["t1"])
    shown = client.get(f"/v1/roles/{job}", headers=keys["t1"]).json
    assert shown["description"] == own and shown["job_description"] is not None
    response = client.post(f"/v1/roles/{job}/suggest", headers=keys["t1"]).json
    assert response["description_from"] == "role"
    assert [s["competency"] for s in response["suggestions"]] == ["Java (computer programming)"]
    # A role re-put without a description (the recruiter cleared it) falls back to the ATS's advert again.
    assert client.put(f"/v1/roles/{job}", json=role(), headers=keys["t1"]).status_code == 200
    assert client.post(f"/v1/roles/{job}/suggest", headers=keys["t1"]).json["description_from"] == "ats"


def test_an_advert_is_the_tenants_own(world):
    client, keys, ids, application_arrives, _ = world
    job = JOB["greenhouse"]
    for name in ("t1", "t2"):
        assert client.put(f"/v1/roles/{job}", json=role(), headers=keys[name]).status_code == 201
    application_arrives(ids["t1"])
    assert client.get(f"/v1/roles/{job}", headers=keys["t2"]).json["job_description"] is None
    assert client.post(f"/v1/roles/{job}/suggest", headers=keys["t2"]).status_code == 422


def test_an_older_fetch_never_replaces_a_newer_one_and_a_role_covering_the_job_finds_it(world):
    client, keys, ids, _, descriptions = world
    descriptions.record(ids["t1"], job_id="j-9", provider="lever", title=None, text="Newer: Kubernetes",
                        source="lever.postings", fetched_at=NOW)
    assert not descriptions.record(ids["t1"], job_id="j-9", provider="lever", title=None, text="Older: COBOL",
                                   source="lever.postings", fetched_at=NOW - timedelta(hours=1))
    body = {**role(), "job_ids": ["j-9"]}
    assert client.put("/v1/roles/data-eng", json=body, headers=keys["t1"]).status_code == 201
    assert client.get("/v1/roles/data-eng", headers=keys["t1"]).json["job_description"]["text"] == "Newer: Kubernetes"
