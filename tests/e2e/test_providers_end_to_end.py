"""Every ATS end to end on the running services: its documented webhook, signed as it signs, to credentials.submitted.

Each delivery is a fixture from tests/fixtures/providers (sources cited there) with its example credential hosts
pointed at a real local credential host; thin providers (Lever, SmartRecruiters, Teamtailor) are completed from
tests/support/fake_ats.py serving their documented API answers. The candidate's credentials are VC-JWTs from the
demo issuer, bound to the address the ATS gives, served hosted, baked into PNG/SVG badges, or inline in text.
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from shared import events
from tests.support.ats_deliveries import NEW_APPLICATION, SUCCESS, fixture, signed
from tests.support.credential_host import CredentialHost, baked_png, baked_svg
from tests.support.fake_ats import FakeATS
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader

EXAMPLE_HOSTS = ("https://badges.example.org", "https://www.credly.com")  # the fixtures' stand-ins for the web
WORKABLE_DUMMY_JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"  # too short to be a JWT; swapped for a real one
REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]
TOPICS = (events.APPLICATIONS_RECEIVED, events.CREDENTIALS_SUBMITTED, events.CREDENTIALS_UNAVAILABLE,
          events.APPLICATIONS_READY)


@dataclass(frozen=True)
class Case:
    """What one provider's delivery must become: ids as the ATS names them, and each credential by provenance."""
    application_id: str
    job_id: str
    email: str                              # the candidate's address as the ATS gives it, lower-cased
    # provenance -> (path on the credential host, or "inline"; how it is served: vc+jwt | png | svg | inline)
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    api_routes: dict[str, str] = field(default_factory=dict)   # fake ATS path -> fixture answering it


CASES = {
    "generic": Case("app-generic-1", "job-generic-1", "ada@example.org",
                    {"webhook.credentials[0]": ("inline", "inline")}),
    "greenhouse": Case("46194062", "371417", "personal@example.com", {
        "greenhouse.answers[1] -> URL in text [0] -> hosted VC-JWT": ("/assertions/42.json", "vc+jwt"),
        "greenhouse.candidate.custom_fields.badge_url -> baked PNG": ("/badges/1d2b3c4d", "png")}),
    "lever": Case("9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c11", "f2f01e16-27f8-4711-a728-7d49499795a0", "shane@example.com",
                  {"lever.links[1] -> baked SVG": ("/assertions/7.json", "svg")},
                  {"/v1/opportunities/9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c10?expand=applications": "lever_opportunity.json"}),
    "workable": Case("ce4da98", "GROOV005", "lakita_marrero@example.com", {
        "workable.cover_letter -> URL in text [0] -> hosted VC-JWT": ("/assertions/9.json", "vc+jwt"),
        "workable.summary -> VC-JWT in text [0]": ("inline", "inline")}),
    "ashby": Case("3ae2b801-19f6-41ef-ad28-214bd731948f", "6bd2e8c6-7a04-4a4c-a0ad-4f0d8e3c8b40", "adam@example.com",
                  {"ashby.socialLinks[1] -> baked PNG": ("/assertions/5.json", "png")}),
    "smartrecruiters": Case("jid:cid", "jid", "jean.dupont@example.com",
                            {"smartrecruiters.web.website -> hosted VC-JWT": ("/assertions/11.json", "vc+jwt")},
                            {"/jobs/jid/candidates/cid": "smartrecruiters_application.json",
                             "/candidates/cid": "smartrecruiters_candidate.json"}),
    "teamtailor": Case("44", "2", "anna@example.se",
                       {"teamtailor.candidate.pitch -> URL in text [0] -> baked SVG": ("/assertions/3.json", "svg")},
                       {"/v1/job-applications/44?include=candidate,job": "teamtailor_job_application.json"}),
}


class World:
    """The web the services reach out to: one credential host and one fake ATS API, shared by every provider."""

    def __init__(self, host: CredentialHost, ats: FakeATS):
        self.host, self.ats = host, ats
        self.tokens: dict[tuple[str, str], str] = {}   # (provider, provenance) -> the VC-JWT it must yield
        issuer = Issuer.generate()
        for provider, case in CASES.items():
            for provenance, (path, kind) in case.credentials.items():
                token = issuer.vc_jwt(subject_email=case.email, achievement_name="Python Programming")
                self.tokens[provider, provenance] = token
                if kind != "inline":
                    served, content_type = _served(token, kind)
                    host.add(path, served, content_type=content_type)
            for path, name in case.api_routes.items():
                ats.serve(path, json.loads(self.localised(name)))

    def localised(self, name: str, provider: str | None = None) -> bytes:
        """A fixture with its example credential hosts replaced by the local one (and Workable's dummy JWT made real)."""
        replace = {example: self.host.url("") for example in EXAMPLE_HOSTS}
        if provider == "workable":
            replace[WORKABLE_DUMMY_JWT] = self.tokens["workable", "workable.summary -> VC-JWT in text [0]"]
        return fixture(name, replace=replace)

    def body(self, provider: str) -> bytes:
        if provider != "generic":
            return self.localised(NEW_APPLICATION[provider], provider)
        case = CASES["generic"]
        return json.dumps({"event_id": f"evt-{uuid.uuid4().hex[:8]}",
                           "application": {"id": case.application_id, "job_id": case.job_id},
                           "candidate": {"id": "cand-generic-1", "name": "Ada", "emails": [case.email]},
                           "credentials": [{"jwt": self.tokens["generic", "webhook.credentials[0]"]}]}).encode()


def _served(token: str, kind: str) -> tuple[bytes | str, str]:
    if kind == "png":
        return baked_png(token, keyword="openbadgecredential"), "image/png"
    if kind == "svg":
        return baked_svg(token, version=3), "image/svg+xml"
    return token, "application/vc+jwt"


@pytest.fixture(scope="module")
def world():
    with CredentialHost() as host, FakeATS() as ats:
        yield World(host, ats)


@pytest.fixture(scope="module")
def reader(servers, running):
    r = TopicReader(servers.kafka.bootstrap, *TOPICS)
    yield r
    r.close()


def connect(api, provider: str, ats: FakeATS) -> tuple[dict, str]:
    """`credbridge tenant create` and `credbridge connection add`, as an employer runs them; thin ATSs get API access."""
    tenant = api.cli("tenant", "create", f"Employer {provider} {uuid.uuid4().hex[:6]}")
    api_key = f"{provider}-key-{uuid.uuid4().hex[:6]}"
    thin = ["--api-key", api_key, "--base-url", ats.base_url] if CASES[provider].api_routes else []
    conn = api.cli("connection", "add", tenant["tenant"], provider, *thin)
    assert conn["webhook_url"] == f"{api.ingest}/v1/webhooks/{provider}/{tenant['tenant']}"
    return {**tenant, **conn}, api_key


def api_auth(provider: str, api_key: str) -> tuple[str, str]:
    """The header each thin ATS's API is called with (see the adapters' cited API pages)."""
    if provider == "lever":
        return "Authorization", "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
    if provider == "smartrecruiters":
        return "X-SmartToken", api_key
    return "Authorization", f"Token token={api_key}"


def for_tenant(reader: TopicReader, topic: str, tenant: str) -> dict[str, events.Event]:
    """Events about one tenant by event id (a consumer may re-publish the same event after a rebalance)."""
    return {e.event_id: e for e in reader.events(topic) if e.tenant == tenant}


def scored_with_verdicts(doc: dict) -> bool:
    credentials = doc.get("credentials") or []
    return doc.get("status") == "scored" and bool(credentials) and all(c.get("verdict") for c in credentials)


def deliver_twice(world: World, provider: str, tenant: dict) -> tuple[requests.Response, requests.Response]:
    """The provider's signed new-application webhook, then the very same request again (a redelivery)."""
    link = f"<{world.ats.base_url}/jobs/jid/candidates/cid>; rel=self"  # SmartRecruiters' signed Link header
    body, headers = signed(provider, tenant["secret"], world.body(provider), now=time.time(),
                           delivery_id=f"evt-{uuid.uuid4().hex[:8]}", link=link)
    return tuple(requests.post(tenant["webhook_url"], data=body, headers=headers, timeout=30) for _ in range(2))


def wait_resolved(reader: TopicReader, tenant: str, *, credentials: int) -> tuple[list[events.Event], events.Event]:
    """The tenant's credentials.submitted events and its applications.ready (different topics: wait for both)."""
    def resolved(_seen) -> bool:
        return bool(for_tenant(reader, events.APPLICATIONS_READY, tenant)) and \
            len(for_tenant(reader, events.CREDENTIALS_SUBMITTED, tenant)) >= credentials
    reader.read(until=resolved, timeout_s=45)
    [ready] = for_tenant(reader, events.APPLICATIONS_READY, tenant).values()
    return list(for_tenant(reader, events.CREDENTIALS_SUBMITTED, tenant).values()), ready


@pytest.mark.parametrize("provider", sorted(CASES))
def test_a_signed_new_application_from_each_ats_ends_as_credentials_submitted_on_the_broker_and_a_score(
        api, world, reader, provider):
    case = CASES[provider]
    tenant, api_key = connect(api, provider, world.ats)
    assert api.put_role(tenant, case.job_id, REQUIREMENTS).status_code == 201

    first, again = deliver_twice(world, provider, tenant)
    assert (first.status_code, again.status_code) == (SUCCESS[provider],) * 2, (first.text, again.text)
    assert first.json() == {"status": "accepted", "application_id": case.application_id, "events_published": 1}
    assert again.json() == {"status": "duplicate", "application_id": case.application_id, "events_published": 0}

    submitted, ready = wait_resolved(reader, tenant["tenant"], credentials=len(case.credentials))
    assert {e.payload["provenance"]: e.payload["jwt"] for e in submitted} == \
        {prov: world.tokens[provider, prov] for prov in case.credentials}
    assert {e.payload["application_id"] for e in submitted} == {case.application_id}
    assert all(e.payload["candidate"]["emails"] == [case.email] for e in submitted)
    assert ready.payload["application"] == {"id": case.application_id, "job_id": case.job_id}
    assert sorted(ready.payload["credential_ids"]) == sorted(e.payload["credential_id"] for e in submitted)
    if case.api_routes:  # the ATS API was called with the key given to `connection add`
        name, value = api_auth(provider, api_key)
        assert any(r["headers"].get(name) == value for r in world.ats.requests if r["path"] in case.api_routes)

    doc = api.wait_score(tenant, case.application_id, until=scored_with_verdicts, timeout_s=45)
    assert doc["role_id"] == case.job_id and doc["score"] == 100
    assert [c["verdict"] for c in doc["credentials"]] == ["verified"] * len(case.credentials)

    # The redelivery published nothing: still one accepted delivery, and nothing more came of it.
    reader.read(timeout_s=0.5)
    assert len(for_tenant(reader, events.APPLICATIONS_RECEIVED, tenant["tenant"])) == 1
    assert len(for_tenant(reader, events.CREDENTIALS_SUBMITTED, tenant["tenant"])) == len(case.credentials)
    assert for_tenant(reader, events.CREDENTIALS_UNAVAILABLE, tenant["tenant"]) == {}
