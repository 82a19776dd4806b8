"""The generic webhook against the real broker and database: what is accepted is published once, bad input is a 4xx."""
from __future__ import annotations

import json
import time

import pytest

from services.ingest.app import create_app
from services.ingest.signatures import sign_generic
from shared import events
from shared.tenants import TenantRepository
from tests.support.kafka_probe import TopicReader


@pytest.fixture
def tenant(db, settings):
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    tenant_id, _key = repo.create_tenant("Acme")
    secret = repo.add_connection(tenant_id, "generic")
    return tenant_id, secret


@pytest.fixture
def client(settings):
    app = create_app(settings)
    yield app.test_client()
    app.extensions["ingest"].publisher.close()


@pytest.fixture
def reader(servers):
    r = TopicReader(servers.kafka.bootstrap, events.APPLICATIONS_RECEIVED)
    yield r
    r.close()


def webhook(event_id="evt-1", application_id="app-1", credentials=None) -> bytes:
    return json.dumps({
        "event_id": event_id,
        "application": {"id": application_id, "job_id": "job-7"},
        "candidate": {"id": "cand-1", "name": "Ada", "emails": ["Ada@Example.org"]},
        "credentials": credentials if credentials is not None else [{"jwt": "eyJ.a.b"}, {"url": "https://badges.example.org/a/1"}],
    }).encode()


def post(client, tenant_id, body, headers):
    return client.post(f"/v1/webhooks/generic/{tenant_id}", data=body, headers=headers)


def test_a_signed_webhook_is_answered_202_only_once_its_application_is_on_the_broker(client, tenant, reader):
    tenant_id, secret = tenant
    body = webhook()
    resp = post(client, tenant_id, body, sign_generic(secret, body, int(time.time())))
    assert resp.status_code == 202, resp.get_json()
    reader.read(until=lambda s: len(s[events.APPLICATIONS_RECEIVED]) >= 1)
    [app_event] = reader.events(events.APPLICATIONS_RECEIVED)
    assert app_event.tenant == tenant_id
    assert app_event.payload["application"] == {"id": "app-1", "job_id": "job-7"}
    assert app_event.payload["candidate"]["emails"] == ["ada@example.org"]
    assert [c["provenance"] for c in app_event.payload["credentials"]] == ["webhook.credentials[0]", "webhook.credentials[1]"]
    assert app_event.payload["credentials"][1]["url"] == "https://badges.example.org/a/1"


def test_a_redelivered_event_id_answers_success_and_publishes_nothing_new(client, tenant, reader):
    tenant_id, secret = tenant
    body = webhook(event_id="evt-dup")
    first = post(client, tenant_id, body, sign_generic(secret, body, int(time.time())))
    again = post(client, tenant_id, body, sign_generic(secret, body, int(time.time())))
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json()["status"] == "duplicate"
    reader.read(timeout_s=3)
    assert len(reader.seen[events.APPLICATIONS_RECEIVED]) == 1


def test_a_rotated_secret_and_the_one_it_replaced_both_verify(client, tenant, db, settings):
    tenant_id, old = tenant
    new = TenantRepository(db, settings).rotate_secret(tenant_id, "generic")
    for i, secret in enumerate((old, new)):
        body = webhook(event_id=f"evt-rot-{i}", application_id=f"app-rot-{i}")
        assert post(client, tenant_id, body, sign_generic(secret, body, int(time.time()))).status_code == 202


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    doc = resp.get_json()
    assert doc["status"] == status and doc["title"]
    return doc


def test_an_unsigned_webhook_is_401(client, tenant):
    tenant_id, _ = tenant
    _problem(post(client, tenant_id, webhook(), {"Content-Type": "application/json"}), 401)


def test_a_webhook_signed_with_another_secret_is_401(client, tenant):
    tenant_id, _ = tenant
    body = webhook()
    _problem(post(client, tenant_id, body, sign_generic("not-the-secret", body, int(time.time()))), 401)


def test_a_webhook_whose_signature_was_made_over_reformatted_json_is_401(client, tenant):
    tenant_id, secret = tenant
    body = webhook()
    reformatted = json.dumps(json.loads(body), indent=2).encode()
    _problem(post(client, tenant_id, reformatted, sign_generic(secret, body, int(time.time()))), 401)


def test_a_stale_timestamp_is_401_even_with_a_correct_signature(client, tenant):
    tenant_id, secret = tenant
    body = webhook()
    doc = _problem(post(client, tenant_id, body, sign_generic(secret, body, int(time.time()) - 301)), 401)
    assert "replay window" in doc["detail"]


def test_malformed_json_with_a_valid_signature_is_400(client, tenant):
    tenant_id, secret = tenant
    body = b'{"event_id": "x", '
    _problem(post(client, tenant_id, body, sign_generic(secret, body, int(time.time()))), 400)


def test_malformed_json_without_a_valid_signature_is_401_so_the_sender_learns_nothing_of_the_parser(client, tenant):
    tenant_id, _secret = tenant
    for body in (b'{"event_id": "x", ', b'[1, 2]', b'\xff\xfe'):
        _problem(post(client, tenant_id, body, sign_generic("not-the-secret", body, int(time.time()))), 401)


def test_a_body_missing_required_fields_is_422_with_field_errors(client, tenant):
    tenant_id, secret = tenant
    body = json.dumps({"event_id": "x", "application": {"id": "a"}}).encode()
    doc = _problem(post(client, tenant_id, body, sign_generic(secret, body, int(time.time()))), 422)
    assert "candidate" in doc["errors"] and "job_id" in doc["errors"]["application"]


def test_a_credential_with_two_forms_at_once_is_422(client, tenant):
    tenant_id, secret = tenant
    body = webhook(credentials=[{"jwt": "a.b.c", "url": "https://x.example/1"}])
    _problem(post(client, tenant_id, body, sign_generic(secret, body, int(time.time()))), 422)


def test_a_wrong_content_type_is_415(client, tenant):
    tenant_id, secret = tenant
    body = webhook()
    headers = sign_generic(secret, body, int(time.time()))
    headers["Content-Type"] = "text/plain"
    _problem(post(client, tenant_id, body, headers), 415)


def test_an_oversized_body_is_413(client, tenant, settings):
    tenant_id, secret = tenant
    body = webhook(credentials=[{"document": {"pad": "x" * settings.webhook_max_body_bytes}}])
    _problem(post(client, tenant_id, body, sign_generic(secret, body, int(time.time()))), 413)


def test_an_unknown_tenant_or_provider_is_404(client, tenant):
    _, secret = tenant
    body = webhook()
    _problem(post(client, "t_nobody", body, sign_generic(secret, body, int(time.time()))), 404)
    _problem(client.post("/v1/webhooks/nosuchats/t_x", data=body, headers={"Content-Type": "application/json"}), 404)


def test_readiness_reports_both_servers_reachable(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"] == {"database": "ok", "broker": "ok"}
