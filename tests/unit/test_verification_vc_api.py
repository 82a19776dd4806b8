"""POST /credentials/verify (VC-API) on a minimal app: the same verifier as /v1/verify, answered as a VC-API result.

Shapes follow w3c/vcalm oas.yaml (VerifyCredentialRequest, VerifyEnvelopedCredentialRequest,
VerificationResult) and the W3C suites' verifier assertions (verified: 200; not verified: 400 or 422).
"""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.api import bp
from shared.http import create_base_app
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential
from tests.support.issuer import Issuer, tamper

PROBLEM = "application/problem+json"
V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture(scope="module")
def client():
    app = create_base_app("verification", ready_checks={})
    app.config["SETTINGS"] = Settings()
    app.register_blueprint(bp)
    return app.test_client()


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.generate()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def jose_cose(issuer: Issuer) -> str:
    """A VC-JOSE-COSE credential: the credential itself is the JWS payload, typ vc+jwt."""
    vc = issuer.claims(nbf=datetime.now(timezone.utc) - timedelta(days=1))["vc"]
    return issuer.sign(vc, header={"typ": "vc+jwt"})


def enveloped(token: str, *, media_type: str = "application/vc+jwt") -> dict:
    return {"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": f"data:{media_type},{token}"}


def verify(client, credential, **body):
    return client.post("/credentials/verify", json={"verifiableCredential": credential, **body})


def test_a_secured_json_ld_credential_is_answered_200_verified_with_the_checks_made(client, signer):
    resp = verify(client, signer.sign(ob3_credential(signer.did)), options={"checks": ["proof"]})
    assert resp.status_code == 200
    assert (resp.json["verified"], resp.json["errors"]) == (True, [])
    assert "proof.signature" in resp.json["checks"]


def test_an_enveloped_vc_jwt_is_verified_like_the_jwt_it_carries(client, issuer):
    resp = verify(client, enveloped(jose_cose(issuer)))
    assert (resp.status_code, resp.json["verified"], resp.json["format"]) == (200, True, "vc-jwt")


def test_an_enveloped_vc_jwt_in_a_base64_data_url_is_opened_too(client, issuer):
    data = base64.b64encode(jose_cose(issuer).encode()).decode()
    resp = verify(client, enveloped(data, media_type="application/vc+jwt;base64"))
    assert (resp.status_code, resp.json["verified"]) == (200, True)


def test_a_forged_enveloped_credential_is_a_422_problem_saying_it_is_not_verified(client, issuer):
    resp = verify(client, enveloped(tamper(issuer.vc_jwt(nbf=datetime.now(timezone.utc) - timedelta(days=1)))))
    assert (resp.status_code, resp.mimetype, resp.json["verified"]) == (422, PROBLEM, False)
    assert resp.json["errors"][0]["title"] == "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert resp.json["errors"][0]["check"] == "proof.signature"


def test_a_credential_whose_signed_claim_was_changed_is_not_verified(client, signer):
    secured = signer.sign(ob3_credential(signer.did))
    secured["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    resp = verify(client, secured)
    assert (resp.status_code, resp.json["verified"]) == (422, False)


def test_a_credential_without_a_proof_is_not_verified(client, signer):
    resp = verify(client, ob3_credential(signer.did))
    assert (resp.status_code, resp.json["verified"], resp.json["errors"][0]["check"]) == (422, False, "proof.present")


def test_an_envelope_of_a_format_not_verified_yet_is_not_verified_and_says_unsupported(client):
    resp = verify(client, enveloped("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~", media_type="application/vc+sd-jwt"))
    assert (resp.status_code, resp.json["verdict"]) == (422, "unsupported")
    assert "not supported yet" in resp.json["errors"][0]["detail"]


@pytest.mark.parametrize("body", [
    {}, {"verifiableCredential": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"}, {"verifiableCredential": {}, "options": []},
    {"verifiableCredential": {}, "extra": 1}, {"credential": {}},
])
def test_a_body_that_is_not_a_vc_api_verify_request_is_a_400_problem(client, body):
    resp = client.post("/credentials/verify", json=body)
    assert (resp.status_code, resp.mimetype) == (400, PROBLEM)


@pytest.mark.parametrize("data, content_type", [(b"{not json", "application/json"), (b"[]", "application/json"),
                                                (b"", "application/json")])
def test_a_body_that_is_not_a_json_object_is_a_400_problem(client, data, content_type):
    resp = client.post("/credentials/verify", data=data, content_type=content_type)
    assert (resp.status_code, resp.mimetype) == (400, PROBLEM)


def test_a_jwt_body_is_refused_with_415_the_vc_api_takes_json(client, issuer):
    resp = client.post("/credentials/verify", data=issuer.vc_jwt(), content_type="application/vc+jwt")
    assert (resp.status_code, resp.mimetype) == (415, PROBLEM)


def test_an_invalid_api_key_is_refused_as_on_v1_verify(client, signer):
    resp = client.post("/credentials/verify", json={"verifiableCredential": {}}, headers={"Authorization": "Bearer x"})
    assert (resp.status_code, resp.mimetype) == (401, PROBLEM)
