"""POST /v1/verify on a minimal app (the real blueprint and error handlers, no database or broker)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.api import bp
from services.verification.schemas import MAX_BODY_BYTES
from shared.http import create_base_app
from shared.settings import Settings
from tests.support.issuer import Issuer, tamper

PROBLEM = "application/problem+json"


def _minimal_app():
    app = create_base_app("verification", ready_checks={})
    app.config["SETTINGS"] = Settings()
    app.register_blueprint(bp)
    return app


@pytest.fixture(scope="module")
def client():
    return _minimal_app().test_client()


@pytest.fixture(scope="module")
def token() -> str:
    return Issuer.generate().vc_jwt(nbf=datetime.now(timezone.utc) - timedelta(days=1))


@pytest.mark.parametrize("content_type", ["application/vc+jwt", "application/jwt"])
def test_a_raw_vc_jwt_body_is_answered_with_a_verified_report(client, token, content_type):
    resp = client.post("/v1/verify", data=token, content_type=content_type)
    assert resp.status_code == 200
    assert resp.json["verdict"] == "verified"
    assert resp.json["format"] == "vc-jwt"


def test_a_json_body_carrying_a_jwt_is_verified_like_the_raw_jwt(client, token):
    resp = client.post("/v1/verify", json={"jwt": token})
    assert resp.status_code == 200
    assert resp.json["verdict"] == "verified"


def test_a_tampered_jwt_is_a_200_with_a_failed_report_not_an_http_error(client, token):
    resp = client.post("/v1/verify", data=tamper(token), content_type="application/vc+jwt")
    assert resp.status_code == 200
    assert resp.json["verdict"] == "failed"


def test_a_json_credential_document_is_answered_with_its_report(client):
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
           "credentialSubject": {"id": "did:example:1"}, "proof": {"type": "DataIntegrityProof"}}
    resp = client.post("/v1/verify", json=doc)
    assert resp.status_code == 200
    # A DataIntegrityProof naming no cryptosuite, key or purpose is malformed: failed, not a server error.
    assert (resp.json["verdict"], resp.json["format"]) == ("failed", "data-integrity")


def recipient_of(resp) -> tuple[str, str]:
    check = next(c for c in resp.json["checks"] if c["code"] == "recipient")
    return check["status"], check["message"]


def test_an_email_query_parameter_binds_the_credential_to_that_applicant():
    token = Issuer.generate().vc_jwt(subject_email="ada@example.org", nbf=datetime.now(timezone.utc) - timedelta(days=1))
    client = _minimal_app().test_client()
    ada = client.post("/v1/verify?email=ada@example.org", data=token, content_type="application/vc+jwt")
    eve = client.post("/v1/verify?email=eve@example.org", data=token, content_type="application/vc+jwt")
    assert (ada.json["verdict"], recipient_of(ada)[0]) == ("verified", "passed")
    assert (eve.json["verdict"], recipient_of(eve)[0]) == ("failed", "failed")


def test_without_an_email_the_recipient_is_reported_as_not_checked(client, token):
    resp = client.post("/v1/verify", data=token, content_type="application/vc+jwt")
    assert recipient_of(resp) == ("skipped", "not checked: no applicant email was given")


def test_an_email_that_is_not_an_address_is_a_problem_response(client, token):
    resp = client.post("/v1/verify?email=not-an-address", data=token, content_type="application/vc+jwt")
    assert 400 <= resp.status_code < 500 and resp.mimetype == PROBLEM


def test_an_authorization_header_a_bare_verifier_cannot_check_is_refused_with_401(client, token):
    resp = client.post("/v1/verify", data=token, content_type="application/vc+jwt",
                       headers={"Authorization": "Bearer cbk_nope.nope"})
    assert resp.status_code == 401 and resp.mimetype == PROBLEM


def test_the_report_says_when_it_must_be_checked_again_and_that_no_registry_was_consulted(client):
    token = Issuer.generate().vc_jwt(nbf=datetime.now(timezone.utc) - timedelta(days=1),
                                     exp=datetime.now(timezone.utc) + timedelta(days=1))
    resp = client.post("/v1/verify", data=token, content_type="application/vc+jwt")
    assert resp.json["recheck_at"] is not None
    assert resp.json["flags"] == ["issuer.trust_not_checked"]


@pytest.mark.parametrize("kwargs, status", [
    ({"data": "hello", "content_type": "text/plain"}, 415),
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"data": "[1, 2]", "content_type": "application/json"}, 400),
    ({"data": "", "content_type": "application/json"}, 400),
    ({"data": "  \n", "content_type": "application/vc+jwt"}, 400),
    ({"data": json.dumps({"jwt": 5}), "content_type": "application/json"}, 422),
    ({"data": json.dumps({"jwt": "a.b.c", "extra": 1}), "content_type": "application/json"}, 422),
])
def test_bad_bodies_are_answered_with_a_problem_document(client, kwargs, status):
    resp = client.post("/v1/verify", **kwargs)
    assert resp.status_code == status
    assert resp.mimetype == PROBLEM
    assert resp.json["status"] == status


def test_a_malformed_email_parameter_is_a_422_problem(client, token):
    resp = client.post("/v1/verify?email=not-an-address", data=token, content_type="application/vc+jwt")
    assert resp.status_code == 422
    assert "email" in resp.json["errors"]


def test_a_body_over_one_mebibyte_is_refused_with_413(client):
    resp = client.post("/v1/verify", data="a" * (MAX_BODY_BYTES + 1), content_type="application/vc+jwt")
    assert resp.status_code == 413
    assert resp.mimetype == PROBLEM


class EndlessBody:
    """A request body that never ends, counting what the app reads of it."""

    def __init__(self):
        self.served = 0

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else size
        self.served += size
        return b"a" * size

    def readinto(self, buffer):
        buffer[:] = b"a" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_an_endless_streamed_body_without_content_length_is_refused_after_reading_just_past_the_limit():
    app, body = _minimal_app(), EndlessBody()
    inner = app.wsgi_app

    def as_chunked_upload(environ, start_response):
        # What gunicorn passes for a chunked upload it de-chunks: no length, a stream it terminates.
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
        return inner(environ, start_response)

    app.wsgi_app = as_chunked_upload
    resp = app.test_client().post("/v1/verify", data=b"ignored", content_type="application/vc+jwt")
    assert resp.status_code == 413
    assert body.served <= MAX_BODY_BYTES + 65536


def test_get_is_not_allowed(client):
    resp = client.get("/v1/verify")
    assert resp.status_code == 405
    assert resp.mimetype == PROBLEM


def test_the_app_factory_builds_its_clients_when_called_and_ensures_the_verdicts_index(monkeypatch, token):
    from services.verification import app as app_module
    from shared import kafka, mongo

    created_indexes = []

    class FakeCollection:
        def create_index(self, keys, **options):
            created_indexes.append((keys, options.get("unique")))

    class FakeDatabase(dict):
        def __missing__(self, name):
            return FakeCollection()

    connected = []
    monkeypatch.setattr(mongo, "connect", lambda settings: connected.append(settings) or FakeDatabase())
    monkeypatch.setattr(mongo, "database_reachable", lambda db: True)
    monkeypatch.setattr(kafka, "broker_reachable", lambda settings: False)
    assert connected == []  # importing the module opened nothing

    app = app_module.create_app(Settings(environment="development", rate_limit_verify_anonymous_per_minute=0))
    client = app.test_client()
    assert len(connected) == 1
    assert ([("tenant", 1), ("credential_id", 1)], True) in created_indexes
    assert client.get("/readyz").json["checks"] == {"database": "ok", "broker": "unreachable"}
    assert client.post("/v1/verify", data=token, content_type="application/jwt").json["verdict"] == "verified"
