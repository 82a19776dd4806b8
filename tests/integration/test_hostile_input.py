"""Hostile input on the real broker and database: it never wedges a partition and never loses an applicant.

Oversized records: kafka-python refuses a record over max_request_size (1 MiB) with MessageSizeTooLargeError,
reached by a handler whose output is too large, a candidate's link to a 1.5 MB JSON file, a verification report
that grows with what the credential claims, and a webhook whose body escapes to three times its size. Deeply
nested bodies: a parse error (401 before authentication, 400 after), never a RecursionError. Slow batches: cut
at their time budget, so a batch never outlasts the poll interval (which would hand it to the group again, forever).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial

import pytest
from marshmallow import ValidationError

from services.ingest.app import create_app
from services.ingest.model import Application, Link, received_event
from services.ingest.signatures import sign_generic
from services.ingest.worker import Resolvers
from services.verification.handlers import handle_credential_submitted
from services.verification.repository import VerdictRepository
from shared import events
from shared.consumer import ConsumerLoop
from shared.fetch import Fetcher
from shared.kafka import Publisher, group_lag
from shared.problems import Problem
from shared.tenants import TenantRepository
from tests.support.credential_host import CredentialHost
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader
from tests.support.partitions import same_partition
from tests.support.waiting import wait_for

TOKEN = Issuer.generate().vc_jwt(subject_email="ada@example.org")


class Running:
    """A consumer loop in a thread over the real broker; stopped (not joined forever) on exit."""

    def __init__(self, loop: ConsumerLoop):
        self.loop = loop
        self.thread = threading.Thread(target=loop.run, kwargs={"install_signals": False}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.stop()
        self.thread.join(timeout=20)


def _tenant_of(value: bytes) -> str | None:
    try:
        return events.decode(value).tenant
    except (ValidationError, ValueError):
        return None


def test_a_handler_whose_output_is_over_the_record_limit_is_dead_lettered_and_the_next_message_is_handled(settings, servers):
    settings = replace(settings, consumer_max_attempts=2, consumer_pause_max_s=0.5)
    tenant, group = f"t-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    publisher = Publisher(settings)
    dlq = TopicReader(servers.kafka.bootstrap, events.dlq_topic(events.APPLICATIONS_READY))
    # Both share one application id, so one key and one partition: the second waits behind the first.
    publisher.publish([events.new_event("application.ready", tenant=tenant, payload={
        "provider": "generic", "delivery_id": f"d{i}", "application": {"id": "app-x", "job_id": "j"},
        "candidate": {"id": "c", "emails": []}, "credential_ids": []}) for i in range(2)])
    handled = []

    def handler(event):
        if event.tenant != tenant:
            return
        reason = "x" * (1_600_000 if event.payload["delivery_id"] == "d0" else 10)
        publisher.publish([events.new_event("credential.unavailable", tenant=tenant, payload={
            "application_id": "app-x", "candidate_id": "c", "provenance": "p", "reason": reason})])
        handled.append(event.payload["delivery_id"])

    loop = ConsumerLoop(settings=settings, group_id=group, handlers={events.APPLICATIONS_READY: handler},
                        publisher=publisher)
    with Running(loop):
        wait_for(lambda: "d1" in handled, timeout_s=30, every_s=0.2,
                 what="the message after the oversized one to be handled")
    def dead():
        # The topic is shared with the rest of the suite, whose dead letters may be stubs that are not events.
        return [r for r in dlq.seen[events.dlq_topic(events.APPLICATIONS_READY)] if _tenant_of(r.value) == tenant]
    dlq.read(until=lambda _s: dead())
    dead = dead()
    assert len(dead) == 1 and b"over the 1048576-byte limit" in dict(dead[0].headers)["error"]
    assert handled == ["d1"]
    dlq.close()
    publisher.close()


def test_a_candidate_link_to_a_large_json_file_is_reported_unavailable_and_the_next_application_is_still_pulled(
        settings, db, servers):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    first = f"app-{uuid.uuid4().hex[:8]}"
    second = same_partition(tenant, first)
    out = (events.CREDENTIALS_SUBMITTED, events.CREDENTIALS_UNAVAILABLE, events.APPLICATIONS_READY)
    reader = TopicReader(servers.kafka.bootstrap, *out)
    with CredentialHost() as host:
        big = host.add("/big/credential.json", json.dumps({"type": "VerifiableCredential", "name": "x" * 1_500_000}))
        small = host.add("/small/vc.jwt", TOKEN, content_type="application/vc+jwt")
        wsettings = replace(settings, fetch_allow_loopback=1, ingest_pull_attempts=1, consumer_max_attempts=2,
                            consumer_pause_max_s=0.5)
        publisher = Publisher(wsettings)
        loop = ConsumerLoop(settings=wsettings, group_id=f"ingest-{uuid.uuid4().hex[:8]}", publisher=publisher, handlers={
            events.APPLICATIONS_RECEIVED: partial(Resolvers(wsettings, fetcher=Fetcher(wsettings),
                                                            tenants=TenantRepository(db, wsettings)).handle,
                                                  publish=publisher.publish)})
        apps = [Application(tenant=tenant, provider="generic", delivery_id=f"d-{a}", application_id=a, job_id="job-1",
                            candidate_id=f"c-{a}", name=None, emails=(), links=(Link("candidate.links[0]", url=u),))
                for a, u in ((first, big), (second, small))]
        publisher.publish([received_event(a, trace_id=uuid.uuid4().hex) for a in apps])

        def ready(app_id):
            return any(_app(e) == app_id for e in reader.events(events.APPLICATIONS_READY))
        with Running(loop):
            reader.read(until=lambda _s: ready(first) and ready(second), timeout_s=40)
        publisher.close()
    assert ready(first) and ready(second)
    [gone] = [e for e in reader.events(events.CREDENTIALS_UNAVAILABLE) if _app(e) == first]
    assert gone.payload["reason"].startswith("too large: the credential is")
    [pulled] = [e for e in reader.events(events.CREDENTIALS_SUBMITTED) if _app(e) == second]
    assert pulled.payload["jwt"] == TOKEN
    reader.close()


def _app(e: events.Event) -> str:
    return e.payload.get("application_id") or e.payload.get("application", {}).get("id")


def test_a_report_that_grows_past_the_record_limit_is_published_trimmed_and_the_next_credential_is_verified(
        settings, db, servers):
    settings = replace(settings, consumer_max_attempts=2, consumer_pause_max_s=0.5)
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    reader = TopicReader(servers.kafka.bootstrap, events.CREDENTIALS_VERIFIED)
    publisher = Publisher(settings)

    def verifier(submission, *, tenant, emails, now):
        # What a credential claiming 40,000 alignments of escaped text becomes (the verdict is the service's own).
        many = submission["document"]["name"] == "giant"
        return {"verdict": "failed", "format": "ob3", "checked_at": now.isoformat(), "flags": [],
                "checks": [{"code": "proof.present", "status": "failed", "message": "no proof"}],
                "achievement": {"name": submission["document"]["name"],
                                "alignments": [{"targetName": "\u0001" * 10}] * (40_000 if many else 1)},
                "issuer": None, "valid_from": None, "valid_until": None}
    verifier.settings = settings  # type: ignore[attr-defined]

    loop = ConsumerLoop(settings=settings, group_id=f"verification-{uuid.uuid4().hex[:8]}", publisher=publisher,
                        handlers={events.CREDENTIALS_SUBMITTED: partial(handle_credential_submitted, repo=repo,
                                                                        publish=publisher.publish, verifier=verifier,
                                                                        now=lambda: datetime.now(timezone.utc))})
    publisher.publish([events.new_event("credential.submitted", tenant=tenant, payload={
        "credential_id": f"cred-{name}", "application_id": "app-1", "candidate": {"id": "c", "emails": []},
        "provenance": "p", "document": {"name": name}}) for name in ("giant", "small")])

    def mine():
        return {e.payload["credential_id"]: e for e in reader.events(events.CREDENTIALS_VERIFIED) if e.tenant == tenant}
    with Running(loop):
        reader.read(until=lambda _s: len(mine()) == 2, timeout_s=40)
    publisher.close()
    got = mine()
    assert set(got) == {"cred-giant", "cred-small"}
    giant = got["cred-giant"].payload["report"]
    assert giant["verdict"] == "failed" and "report.truncated" in giant["flags"]
    assert len(json.dumps(giant)) <= settings.verify_max_report_bytes
    stored = repo.get(tenant, "cred-giant")["report"]  # stored as published
    assert (stored["achievement"], stored["flags"]) == (giant["achievement"], giant["flags"])
    assert "report.truncated" not in got["cred-small"].payload["report"]["flags"]
    reader.close()


@pytest.fixture
def generic_tenant(db, settings):
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    tenant_id, _key = repo.create_tenant("Acme")
    return tenant_id, repo.add_connection(tenant_id, "generic")


def test_a_webhook_that_escapes_past_the_record_limit_is_answered_413_not_503_and_the_next_one_is_accepted(
        settings, generic_tenant):
    tenant_id, secret = generic_tenant
    app = create_app(settings)
    client = app.test_client()

    def delivery(event_id: str, name: str) -> bytes:
        return json.dumps({"event_id": event_id, "application": {"id": event_id, "job_id": "job-1"},
                           "candidate": {"id": "c-1", "emails": []}, "credentials": [{"document": {"name": name}}]},
                          ensure_ascii=False).encode()

    # 1,000,012 bytes of UTF-8, under the 1 MiB body limit; every 4-byte emoji is 12 bytes once JSON-escaped.
    body = delivery("evt-big", "\U0001F600" * 249_962 + "a")
    assert len(body) == 1_000_012
    resp = client.post(f"/v1/webhooks/generic/{tenant_id}", data=body, headers=sign_generic(secret, body, int(time.time())))
    assert resp.status_code == 413, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    small = delivery("evt-small", "Ada")
    resp = client.post(f"/v1/webhooks/generic/{tenant_id}", data=small, headers=sign_generic(secret, small, int(time.time())))
    assert resp.status_code == 202, resp.get_json()
    app.extensions["ingest"].publisher.close()


DEEP = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()


def test_a_deeply_nested_webhook_is_refused_401_unsigned_and_400_signed_never_500(settings, generic_tenant):
    tenant_id, secret = generic_tenant
    app = create_app(settings)
    client = app.test_client()
    url = f"/v1/webhooks/generic/{tenant_id}"
    unsigned = client.post(url, data=DEEP, content_type="application/json")
    signed = client.post(url, data=DEEP, headers=sign_generic(secret, DEEP, int(time.time())))
    assert (unsigned.status_code, signed.status_code) == (401, 400)
    assert "nests deeper than 64 levels" in signed.get_json()["detail"]
    assert {unsigned.mimetype, signed.mimetype} == {"application/problem+json"}
    app.extensions["ingest"].publisher.close()


def test_a_batch_slower_than_the_poll_interval_is_cut_at_its_budget_and_every_message_is_handled_exactly_once(
        settings, servers):
    # 25 messages at 0.4 s each are 10 s of work in one poll batch, twice the poll interval.
    settings = replace(settings, consumer_max_poll_interval_ms=5000, consumer_batch_budget_s=1.0,
                       consumer_session_timeout_ms=6000)
    tenant, group = f"t-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    publisher = Publisher(settings)
    publisher.publish([events.new_event("application.ready", tenant=tenant, payload={
        "provider": "generic", "delivery_id": f"d{i}", "application": {"id": "app-x", "job_id": "j"},
        "candidate": {"id": "c", "emails": []}, "credential_ids": []}) for i in range(25)])
    handled: list[str] = []

    def slow(event):
        if event.tenant == tenant:
            time.sleep(0.4)
            handled.append(event.payload["delivery_id"])

    loop = ConsumerLoop(settings=settings, group_id=group, handlers={events.APPLICATIONS_READY: slow},
                        publisher=publisher)
    with Running(loop):
        wait_for(lambda: len(handled) >= 25 and group_lag(settings.kafka_bootstrap_servers, group,
                                                          [events.APPLICATIONS_READY]) == 0,
                 timeout_s=40, every_s=0.2, what="all 25 messages handled and committed")
        time.sleep(1)  # a redelivery, if any, would show here
    publisher.close()
    assert handled == [f"d{i}" for i in range(25)]  # in order, none twice, none lost
    assert group_lag(settings.kafka_bootstrap_servers, group, [events.APPLICATIONS_READY]) == 0


def away_from_a_minute_boundary() -> None:
    """Limits count per clock minute: a test that spans a minute's end would see a fresh count."""
    if time.time() % 60 > 55:
        time.sleep(61 - time.time() % 60)


def test_the_limiter_counts_per_key_and_minute_and_says_when_to_come_back(db):
    from shared.ratelimit import Limit, RateLimiter
    now = [1_800_000_030.5]  # half past the minute
    limiter = RateLimiter(db, clock=lambda: now[0])
    limiter.ensure_indexes()
    limit = Limit("api", 2)
    limiter.check(limit, "t1")
    limiter.check(limit, "t1")
    with pytest.raises(Problem) as refused:
        limiter.check(limit, "t1")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    limiter.check(limit, "t2")  # another tenant has its own count
    now[0] += 30
    limiter.check(limit, "t1")  # a new minute


def test_a_tenant_over_its_webhook_limit_is_answered_429_with_retry_after_by_every_worker_and_others_are_not(
        settings, db):
    settings = replace(settings, rate_limit_webhooks_per_minute=3)
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    (busy, busy_secret), (quiet, quiet_secret) = [
        (t, repo.add_connection(t, "generic")) for t, _key in (repo.create_tenant("Busy"), repo.create_tenant("Quiet"))]
    # Two apps on one database: two gunicorn workers (or replicas) share one count.
    apps = [create_app(settings), create_app(settings)]
    clients = [app.test_client() for app in apps]

    def send(client, tenant, secret, n):
        body = json.dumps({"event_id": f"e-{n}", "application": {"id": f"a-{n}", "job_id": "j"},
                           "candidate": {"id": "c"}, "credentials": []}).encode()
        return client.post(f"/v1/webhooks/generic/{tenant}", data=body, headers=sign_generic(secret, body, int(time.time())))

    away_from_a_minute_boundary()
    answers = [send(clients[n % 2], busy, busy_secret, n) for n in range(5)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    limited = answers[-1]
    assert limited.mimetype == "application/problem+json" and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert send(clients[0], quiet, quiet_secret, 99).status_code == 202
    for app in apps:
        app.extensions["ingest"].publisher.close()


def test_anonymous_verify_calls_are_limited_per_client_address(settings):
    from services.verification.app import create_app as verification_app
    app = verification_app(replace(settings, rate_limit_verify_anonymous_per_minute=2))
    client = app.test_client()
    away_from_a_minute_boundary()
    codes = [client.post("/v1/verify", data=TOKEN, content_type="application/vc+jwt",
                         environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for _ in range(3)]
    other = client.post("/v1/verify", data=TOKEN, content_type="application/vc+jwt",
                        environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert codes == [200, 200, 429]
    assert other.status_code == 200


def test_the_recruiters_api_limits_each_tenants_keys_and_answers_429_problem_json(settings, db):
    from services.matching.app import create_app as matching_app
    settings = replace(settings, rate_limit_api_per_minute=2)
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    _tenant, key = repo.create_tenant("Acme")
    client = matching_app(settings).test_client()
    away_from_a_minute_boundary()
    answers = [client.get("/v1/roles", headers={"Authorization": f"Bearer {key}"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].mimetype == "application/problem+json" and answers[-1].headers["Retry-After"]


def test_a_revoked_api_key_is_refused_on_the_next_request_and_another_tenant_cannot_revoke_it(settings, db, monkeypatch,
                                                                                           capsys):
    from services.cli import main
    from services.matching.app import create_app as matching_app
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    tenant, key = repo.create_tenant("Acme")
    other, _ = repo.create_tenant("Other")
    client = matching_app(settings).test_client()
    assert client.get("/v1/roles", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert main(["key", "revoke", other, key]) == 2  # not that tenant's key: nothing revoked
    assert client.get("/v1/roles", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert main(["key", "revoke", tenant, key]) == 0
    assert client.get("/v1/roles", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    capsys.readouterr()
    assert main(["key", "create", tenant]) == 0
    fresh = json.loads(capsys.readouterr().out)["api_key"]
    assert client.get("/v1/roles", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_topics_that_let_one_replica_acknowledge_a_record_are_found(settings):
    from kafka import KafkaAdminClient

    from shared.kafka import thin_topics
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        # The test broker is one node, so its topics have min.insync.replicas=1: production would refuse them.
        assert thin_topics(admin, [events.APPLICATIONS_READY, events.CREDENTIALS_VERIFIED]) == sorted(
            [events.APPLICATIONS_READY, events.CREDENTIALS_VERIFIED])
    finally:
        admin.close()
