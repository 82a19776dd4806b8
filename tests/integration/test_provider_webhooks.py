"""Every ATS adapter through ingest's Flask app on the real broker and database: the right answer, one event."""
from __future__ import annotations

import io
import json
import time
import uuid
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from services.ingest.app import create_app
from services.ingest.providers import ashby, greenhouse, lever, smartrecruiters, teamtailor, workable
from services.ingest.signatures import sign_generic
from shared import events
from shared.tenants import TenantRepository
from tests.support.kafka_probe import TopicReader

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
SUCCESS = {"generic": 202, "greenhouse": 200, "lever": 200, "workable": 200, "ashby": 200,
           "smartrecruiters": 202, "teamtailor": 200}


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().strip()


def request_for(provider: str, secret: str, *, ping: bool = False, now: float | None = None) -> tuple[bytes, dict]:
    """A signed delivery exactly as each ATS sends it: the new-application event, or its ping/test event."""
    now = int(now or time.time())
    if provider == "generic":
        body = json.dumps({"event_id": "evt-1", "application": {"id": "app-1", "job_id": "job-1"},
                           "candidate": {"id": "c-1", "emails": ["a@example.org"]}, "credentials": []}).encode()
        return body, sign_generic(secret, body, now)
    if provider == "greenhouse":
        body = raw("greenhouse_ping.json" if ping else "greenhouse_new_candidate_application.json")
        return body, {**greenhouse.sign(secret, body), "Greenhouse-Event-ID": "gh-evt-1"}
    if provider == "lever":
        doc = json.loads(raw("lever_application_created.json"))
        doc.update(token="wh-1", triggeredAt=now * 1000,
                   signature=lever.sign(secret, token="wh-1", triggered_at_ms=now * 1000))
        if ping:
            doc["data"] = {}
        return json.dumps(doc).encode(), {"Content-Type": "application/json"}
    if provider == "workable":
        body = raw("workable_candidate_created.json")
        if ping:  # Workable has no ping; another event type is the nearest thing and must publish nothing
            body = json.dumps({**json.loads(body), "eventType": "candidate_moved"}).encode()
        return body, workable.sign(secret, body)
    if provider == "ashby":
        body = raw("ashby_ping.json" if ping else "ashby_application_submit.json")
        return body, ashby.sign(secret, body)
    if provider == "smartrecruiters":
        body = raw("smartrecruiters_application_created.json")
        plain = {"event-id": "sr-evt-1", "event-name": "job.created" if ping else "application.created",
                 "event-version": "v201910", "link": "<https://api.smartrecruiters.com/jobs/jid/candidates/cid>; rel=self"}
        return body, smartrecruiters.sign([secret], body, timestamp=now, headers=plain)
    body = raw("teamtailor_job_application_create.json")
    if ping:
        body = json.dumps({"payload": {"event_name": "job.update", "data": {"id": "2"}}}).encode()
    return body, teamtailor.sign(secret, body, timestamp=now)


@pytest.fixture(scope="module")
def world(servers):
    settings = servers.settings(mongo_db=f"t_{uuid.uuid4().hex[:12]}")
    app = create_app(settings)
    ctx = app.extensions["ingest"]
    reader = TopicReader(servers.kafka.bootstrap, events.APPLICATIONS_RECEIVED)
    yield app.test_client(), ctx.tenants, reader, settings
    reader.close()
    ctx.publisher.close()
    ctx.tenants.tenants.database.client.drop_database(settings.mongo_db)


def connect(tenants: TenantRepository, provider: str, **kwargs) -> tuple[str, str]:
    tenant, _key = tenants.create_tenant("Acme")
    return tenant, tenants.add_connection(tenant, provider, **kwargs)


def post(client, provider, tenant, body, headers):
    return client.post(f"/v1/webhooks/{provider}/{tenant}", data=body, headers=headers)


def received_for(reader: TopicReader, tenant: str) -> list[events.Event]:
    return [e for e in reader.events(events.APPLICATIONS_RECEIVED) if e.tenant == tenant]


@pytest.mark.parametrize("provider", sorted(SUCCESS))
def test_a_signed_new_application_gets_the_providers_success_status_and_lands_on_the_broker(world, provider):
    client, tenants, reader, _ = world
    tenant, secret = connect(tenants, provider)
    resp = post(client, provider, tenant, *request_for(provider, secret))
    assert resp.status_code == SUCCESS[provider], resp.get_data(as_text=True)
    reader.read(until=lambda _s: received_for(reader, tenant))
    [event] = received_for(reader, tenant)
    assert event.payload["provider"] == provider
    assert event.payload["application"]["id"] == resp.get_json()["application_id"]
    thin = {"lever": "lever.opportunity", "smartrecruiters": "smartrecruiters.application",
            "teamtailor": "teamtailor.job_application"}
    assert (event.payload["enrich"] or {}).get("kind") == thin.get(provider)


def test_redeliveries_and_ping_events_answer_success_and_publish_nothing_new(world):
    client, tenants, reader, _ = world
    sent = {}
    for provider in sorted(SUCCESS):
        tenant, secret = connect(tenants, provider)
        sent[provider] = tenant
        when = time.time()
        first = post(client, provider, tenant, *request_for(provider, secret, now=when))
        # A retry is signed afresh where the timestamp is the request's; Lever re-sends the original triggeredAt.
        retry_at = when if provider == "lever" else when + 1
        again = post(client, provider, tenant, *request_for(provider, secret, now=retry_at))
        assert (first.status_code, again.status_code) == (SUCCESS[provider],) * 2, provider
        assert again.get_json()["status"] == "duplicate", provider
        if provider != "generic":
            ping = post(client, provider, tenant, *request_for(provider, secret, ping=True))
            assert 200 <= ping.status_code < 300 and ping.get_json()["status"] == "ping", provider
    reader.read(timeout_s=3)
    assert {p: len(received_for(reader, t)) for p, t in sent.items()} == {p: 1 for p in sent}


def test_the_smartrecruiters_activation_is_answered_200_with_the_x_hook_secret_echoed_and_no_body_needed(world):
    client, tenants, _, _ = world
    tenant, _ = connect(tenants, "smartrecruiters")
    resp = client.post(f"/v1/webhooks/smartrecruiters/{tenant}", headers={"X-Hook-Secret": "temporary-7f3a"})
    assert resp.status_code == 200 and resp.headers["X-Hook-Secret"] == "temporary-7f3a"
    assert client.post("/v1/webhooks/smartrecruiters/t_nobody", headers={"X-Hook-Secret": "x"}).status_code == 404


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json" and resp.get_json()["status"] == status
    return resp.get_json()


@pytest.mark.parametrize("provider", sorted(SUCCESS))
def test_a_delivery_signed_with_another_secret_is_401(world, provider):
    client, tenants, _, _ = world
    tenant, _ = connect(tenants, provider)
    _problem(post(client, provider, tenant, *request_for(provider, "not-the-secret")), 401)


def test_the_previous_secret_keeps_verifying_after_a_rotation_and_smartrecruiters_keeps_sixteen(world):
    client, tenants, _, _ = world
    tenant, old = connect(tenants, "greenhouse")
    tenants.rotate_secret(tenant, "greenhouse")
    assert post(client, "greenhouse", tenant, *request_for("greenhouse", old)).status_code == 200
    tenant, first = connect(tenants, "smartrecruiters")
    for _ in range(15):
        tenants.rotate_secret(tenant, "smartrecruiters")
    assert post(client, "smartrecruiters", tenant, *request_for("smartrecruiters", first)).status_code == 202
    tenants.rotate_secret(tenant, "smartrecruiters")  # the 17th key pushes the first out
    _problem(post(client, "smartrecruiters", tenant, *request_for("smartrecruiters", first)), 401)


def test_a_lever_signature_replayed_with_other_data_inside_the_window_publishes_nothing(world):
    client, tenants, reader, _ = world
    tenant, secret = connect(tenants, "lever")
    body, headers = request_for("lever", secret)
    assert post(client, "lever", tenant, body, headers).status_code == 200
    forged = json.loads(body)
    forged["data"]["opportunityId"] = "attacker-chosen"
    again = post(client, "lever", tenant, json.dumps(forged).encode(), headers)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    stale = request_for("lever", secret, now=time.time() - lever.REPLAY_WINDOW_S - 60)
    _problem(post(client, "lever", tenant, *stale), 401)


@pytest.mark.parametrize("provider", ["greenhouse", "lever", "workable", "ashby", "smartrecruiters", "teamtailor"])
def test_a_malformed_body_from_an_unauthenticated_sender_is_401_not_400(world, provider):
    client, tenants, _, _ = world
    tenant, secret = connect(tenants, provider)
    _body, headers = request_for(provider, secret)
    _problem(post(client, provider, tenant, b'{"truncated": ', headers), 401)


def test_a_wrong_content_type_is_415_and_an_unknown_tenant_is_404(world):
    client, tenants, _, _ = world
    tenant, secret = connect(tenants, "greenhouse")
    body, headers = request_for("greenhouse", secret)
    _problem(post(client, "greenhouse", tenant, body, {**headers, "Content-Type": "text/plain"}), 415)
    _problem(post(client, "greenhouse", "t_nobody", body, headers), 404)
    _problem(post(client, "workable", tenant, *request_for("workable", secret)), 404)  # no workable connection


def test_an_authenticated_application_missing_its_ids_is_422_and_malformed_json_is_400(world):
    client, tenants, _, _ = world
    tenant, secret = connect(tenants, "ashby")
    body = json.dumps({"action": "applicationSubmit", "webhookActionId": "w-422", "data": {"application": {"job": {}}}}).encode()
    doc = _problem(post(client, "ashby", tenant, body, ashby.sign(secret, body)), 422)
    assert "data.application.id" in doc["errors"]
    _problem(post(client, "ashby", tenant, b'{"action": ', ashby.sign(secret, b'{"action": ')), 400)


def test_an_oversized_delivery_is_413(world):
    client, tenants, _, settings = world
    tenant, secret = connect(tenants, "workable")
    body = b'{"pad": "' + b"x" * settings.webhook_max_body_bytes + b'"}'
    _problem(post(client, "workable", tenant, body, workable.sign(secret, body)), 413)


def test_connection_add_stores_the_api_key_encrypted_and_prints_the_webhook_url_and_secret(world, monkeypatch):
    from services.cli import main
    _, tenants, _, settings = world
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    tenant, _ = tenants.create_tenant("Acme")
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["connection", "add", tenant, "lever", "--api-key", "lever-key-9", "--base-url", "https://api.lever.co/"])
    printed = json.loads(out.getvalue())
    assert code == 0 and printed["webhook_url"].endswith(f"/v1/webhooks/lever/{tenant}") and printed["secret"]
    assert printed["options"] == {"base_url": "https://api.lever.co"} and "lever-key-9" not in out.getvalue()
    conn = tenants.connection(tenant, "lever")
    assert conn.api_key == "lever-key-9" and conn.secrets == (printed["secret"],)
    stored = tenants.connections.find_one({"tenant": tenant, "provider": "lever"})
    assert stored["api_key"] != "lever-key-9"
    assert main(["connection", "add", tenant, "greenhouse", "--api-key", "k"]) == 2  # full-payload ATSs take none


@pytest.mark.parametrize("first", ["verify", "unused event"])
def test_a_lever_signature_from_an_acknowledged_delivery_replayed_as_a_new_application_publishes_nothing(world, first):
    client, tenants, reader, _ = world
    tenant, secret = connect(tenants, "lever")
    body, _headers = request_for("lever", secret, ping=(first == "verify"))
    acked = json.loads(body)
    if first == "unused event":
        acked["event"] = "candidateStageChange"
    assert post(client, "lever", tenant, json.dumps(acked).encode(), {"Content-Type": "application/json"}).status_code == 200
    # The captured token, triggeredAt and signature, with an application of the attacker's choosing.
    forged = {**json.loads(request_for("lever", secret)[0]), **{k: acked[k] for k in ("token", "triggeredAt", "signature")}}
    forged["data"] = {"opportunityId": "attacker-chosen", "applicationId": "attacker-app"}
    again = post(client, "lever", tenant, json.dumps(forged).encode(), {"Content-Type": "application/json"})
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    reader.read(timeout_s=2)
    assert received_for(reader, tenant) == []


def test_a_greenhouse_body_replayed_under_a_new_event_id_is_a_duplicate(world):
    client, tenants, reader, _ = world
    tenant, secret = connect(tenants, "greenhouse")
    body, headers = request_for("greenhouse", secret)
    assert post(client, "greenhouse", tenant, body, headers).status_code == 200
    again = post(client, "greenhouse", tenant, body, {**headers, "Greenhouse-Event-ID": "gh-evt-replayed"})
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    reader.read(until=lambda _s: received_for(reader, tenant), timeout_s=5)
    reader.read(timeout_s=1)
    assert len(received_for(reader, tenant)) == 1
