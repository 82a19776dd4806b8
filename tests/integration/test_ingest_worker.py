"""Ingest's worker on the real broker and database: pulls what a delivery points at, enriches thin deliveries, and
says on credentials.unavailable what could not be retrieved. Credential hosts and the ATS API are real local HTTP servers."""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import replace
from functools import partial

import pytest
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

from services.ingest import providers
from services.ingest.model import Application, CredentialRef, Link, received_event
from services.ingest.worker import Resolvers
from shared import events
from shared.consumer import ConsumerLoop
from shared.fetch import Fetcher
from shared.kafka import Publisher
from shared.tenants import TenantRepository
from tests.support.credential_host import CredentialHost, baked_png, baked_svg
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader

TOKEN = Issuer.generate().vc_jwt(subject_email="ada@example.org")
OUT = (events.CREDENTIALS_SUBMITTED, events.CREDENTIALS_UNAVAILABLE, events.APPLICATIONS_READY)


def start_group_at_end(bootstrap: str, group: str) -> None:
    """A fresh consumer group would read the topic from its beginning: start it at the end instead."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    parts = [TopicPartition(events.APPLICATIONS_RECEIVED, p) for p in consumer.partitions_for_topic(events.APPLICATIONS_RECEIVED)]
    consumer.assign(parts)
    consumer.seek_to_end()
    consumer.commit({tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in parts})
    consumer.close()


class Worker:
    """The ingest worker's loop, in a thread, over the real broker (its own consumer group)."""

    def __init__(self, settings, resolvers: Resolvers):
        self.publisher = Publisher(settings, client_id="ingest-worker-test")
        group = f"ingest-test-{uuid.uuid4().hex[:8]}"
        start_group_at_end(settings.kafka_bootstrap_servers, group)
        self.loop = ConsumerLoop(settings=settings, group_id=group, publisher=self.publisher, handlers={
            events.APPLICATIONS_RECEIVED: partial(resolvers.handle, publish=self.publisher.publish)})
        self.thread = threading.Thread(target=self.loop.run, kwargs={"install_signals": False}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.stop()
        self.thread.join(timeout=20)
        self.publisher.close()


@pytest.fixture
def host():
    with CredentialHost() as h:
        yield h


@pytest.fixture
def worker_settings(settings, host):
    return replace(settings, fetch_allow_loopback=1, fetch_deadline_s=3, fetch_read_timeout_s=2, ingest_pull_attempts=2,
                   ingest_pull_backoff_s=0.05, ingest_pull_budget_s=15, credly_api_base=host.url("/v1"))


@pytest.fixture
def reader(servers):
    r = TopicReader(servers.kafka.bootstrap, *OUT)
    yield r
    r.close()


def published_for(reader: TopicReader, application_id: str, *, until) -> dict[str, list[events.Event]]:
    """Events about one application, each once (another ingest worker in the session may publish the same ids)."""
    def mine():
        out = {}
        for topic in OUT:
            unique = {e.event_id: e for e in reader.events(topic) if _app_id(e) == application_id}
            out[topic] = list(unique.values())
        return out
    reader.read(until=lambda _seen: until(mine()), timeout_s=30)
    return mine()


def _app_id(e: events.Event) -> str:
    return e.payload.get("application_id") or e.payload.get("application", {}).get("id")


def send(settings, app: Application) -> None:
    publisher = Publisher(settings, client_id="ats-test")
    try:
        publisher.publish([received_event(app, trace_id=uuid.uuid4().hex)])
    finally:
        publisher.close()


def application(app_id: str, **kw) -> Application:
    base = dict(tenant="t-int", provider="generic", delivery_id=f"d-{app_id}", application_id=app_id, job_id="job-1",
                candidate_id=f"c-{app_id}", name=None, emails=("ada@example.org",))
    return Application(**{**base, **kw})


def test_a_credential_url_and_a_baked_badge_link_become_submitted_credentials_and_an_unreachable_one_unavailable(
        worker_settings, db, host, reader):
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    with CredentialHost() as closed:
        unreachable = closed.url("/gone.json")
    app = application(app_id, credentials=(
        CredentialRef("webhook.credentials[0]", url=host.add("/vc.jwt", TOKEN, content_type="application/vc+jwt")),
        CredentialRef("webhook.credentials[1]", url=unreachable)),
        links=(Link("candidate.links[0]", url=host.add("/badge.png", baked_png('{"type": "Assertion"}'), content_type="image/png")),))
    resolvers = Resolvers(worker_settings, fetcher=Fetcher(worker_settings), tenants=TenantRepository(db, worker_settings))
    with Worker(worker_settings, resolvers):
        send(worker_settings, app)
        got = published_for(reader, app_id, until=lambda m: m[events.APPLICATIONS_READY])
    submitted = {e.payload["provenance"]: e.payload for e in got[events.CREDENTIALS_SUBMITTED]}
    assert submitted["webhook.credentials[0] -> hosted VC-JWT"]["jwt"] == TOKEN
    assert submitted["candidate.links[0] -> baked PNG"]["document"] == {"type": "Assertion"}
    [gone] = got[events.CREDENTIALS_UNAVAILABLE]
    assert gone.payload["provenance"] == "webhook.credentials[1]"
    assert gone.payload["reason"].startswith("could not be retrieved after retrying")
    [ready] = got[events.APPLICATIONS_READY]
    assert sorted(ready.payload["credential_ids"]) == sorted(p["credential_id"] for p in submitted.values())


def _lever_like_enrich(payload: dict, *, connection, get) -> dict:
    """A stand-in adapter: asks the ATS API (over the worker's safe `get`) for the job and the candidate's links."""
    status, _headers, body = get(f"{connection.options['base_url']}/opportunities/{payload['enrich']['ref']}",
                                 headers={"Authorization": f"Bearer {connection.api_key}"})
    if status >= 400:
        raise providers.EnrichError(f"the ATS API answered {status}", retryable=False)
    doc = json.loads(body)
    return {"application": {"job_id": doc["job"]}, "links": [{"provenance": "ats.links[0]", "url": doc["links"][0]}]}


@pytest.fixture
def thin_tenant(db, worker_settings, host):
    repo = TenantRepository(db, worker_settings)
    repo.ensure_indexes()
    tenant_id, _key = repo.create_tenant("Thin Co")
    repo.add_connection(tenant_id, "lever", options={"base_url": host.url("/ats")}, api_key="ats-key")
    return tenant_id


def thin_adapters():
    return {"lever": providers.Adapter(name="lever", success_status=200, authenticate=None, normalise=None,
                                       dedupe_ttl_s=1, enrich=_lever_like_enrich)}


def test_a_thin_delivery_is_completed_from_the_ats_api_with_the_connections_key_and_then_pulled(
        worker_settings, db, host, reader, thin_tenant):
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    host.add("/ats/opportunities/o-1", json.dumps({"job": "job-9", "links": [host.url("/creds/vc.jwt")]}), fail_first=1)
    host.add("/creds/vc.jwt", TOKEN, content_type="application/vc+jwt")
    app = application(app_id, tenant=thin_tenant, provider="lever", job_id=None, enrich={"kind": "lever.opportunity", "ref": "o-1"})
    resolvers = Resolvers(worker_settings, fetcher=Fetcher(worker_settings), tenants=TenantRepository(db, worker_settings),
                          adapters=thin_adapters())
    with Worker(worker_settings, resolvers):
        send(worker_settings, app)
        got = published_for(reader, app_id, until=lambda m: m[events.APPLICATIONS_READY])
    [ready] = got[events.APPLICATIONS_READY]
    assert ready.payload["application"] == {"id": app_id, "job_id": "job-9"}
    [cred] = got[events.CREDENTIALS_SUBMITTED]
    assert (cred.payload["provenance"], cred.payload["jwt"]) == ("ats.links[0] -> hosted VC-JWT", TOKEN)
    assert host.hits["/ats/opportunities/o-1"] == 2  # a 503 first, retried


def test_an_ats_api_that_keeps_failing_ends_with_the_application_reported_unavailable(
        worker_settings, db, host, reader, thin_tenant):
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    host.add("/ats/opportunities/o-2", status=500, content_type="text/plain")
    app = application(app_id, tenant=thin_tenant, provider="lever", job_id=None, enrich={"kind": "lever.opportunity", "ref": "o-2"})
    resolvers = Resolvers(worker_settings, fetcher=Fetcher(worker_settings), tenants=TenantRepository(db, worker_settings),
                          adapters=thin_adapters())
    with Worker(worker_settings, resolvers):
        send(worker_settings, app)
        got = published_for(reader, app_id, until=lambda m: m[events.CREDENTIALS_UNAVAILABLE])
    [gone] = got[events.CREDENTIALS_UNAVAILABLE]
    assert gone.payload["provenance"] == "ats.api"
    assert gone.payload["reason"].startswith("the ATS API could not be reached after retrying")
    assert got[events.APPLICATIONS_READY] == [] and host.hits["/ats/opportunities/o-2"] == 2


def test_a_lever_delivery_is_completed_by_the_lever_adapter_over_the_safe_fetcher_and_its_badge_link_pulled(
        worker_settings, db, host, reader):
    from tests.support.fake_ats import FakeATS
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    repo = TenantRepository(db, worker_settings)
    repo.ensure_indexes()
    tenant_id, _key = repo.create_tenant("Lever Co")
    badge = host.add("/badges/python.svg", baked_svg(TOKEN, version=3), content_type="image/svg+xml")
    with FakeATS() as ats:
        repo.add_connection(tenant_id, "lever", options={"base_url": ats.base_url}, api_key="lever-key")
        # The shape of Lever's GET /v1/opportunities/:id?expand=applications (hire.lever.co/developer/documentation).
        ats.serve("/v1/opportunities/opp-1?expand=applications", {"data": {
            "id": "opp-1", "name": "Ada", "contact": "contact-1", "emails": ["ada@example.org"],
            "links": [badge, "https://www.linkedin.com/in/ada"], "headline": "Engineer",
            "applications": [{"id": app_id, "posting": "posting-7"}]}})
        ats.fail_next(1)
        app = application(app_id, tenant=tenant_id, provider="lever", job_id=None, candidate_id="contact-1",
                          enrich={"kind": "lever.opportunity", "ref": "opp-1"})
        resolvers = Resolvers(worker_settings, fetcher=Fetcher(worker_settings), tenants=repo)
        with Worker(worker_settings, resolvers):
            send(worker_settings, app)
            got = published_for(reader, app_id, until=lambda m: m[events.APPLICATIONS_READY])
    [ready] = got[events.APPLICATIONS_READY]
    assert ready.payload["application"] == {"id": app_id, "job_id": "posting-7"}
    assert ready.payload["candidate"]["emails"] == ["ada@example.org"]
    [cred] = got[events.CREDENTIALS_SUBMITTED]
    assert (cred.payload["provenance"], cred.payload["jwt"]) == ("lever.links[0] -> baked SVG", TOKEN)
    assert [r["headers"].get("Authorization") for r in ats.requests][-1].startswith("Basic ")
