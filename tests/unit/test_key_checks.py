"""The checks on the signing key itself, for Data Integrity proofs and VC-JWTs: what it is for, what kind it is,
whether it can be found now, and whether anything names it at all. Each wrong key fails or stays undecided.

Sources: VC Data Integrity 1.0, verifying a proof (the method must be one of its controller's assertionMethod keys);
did:jwk §2 (a JWK with "use": "enc" is only a keyAgreement key); RFC 7515 §4.1.4 (kid);
VC-JOSE-COSE §3.1.1 (the payload is the credential; its issuer owns the key).
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import dataintegrity, keys, vcjwt
from tests.support.di_signer import Signer, ob3_credential
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def statuses(result) -> dict[str, str]:
    return {c.code: c.status for c in result.checks}


def di(document: dict, resolver: keys.Resolver | None = None) -> dict[str, str]:
    return statuses(dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=resolver or keys.Resolver()))


def jwt_checks(token: str, resolver: keys.Resolver | None = None) -> dict[str, str]:
    return statuses(vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=resolver or keys.Resolver()))


def p256_did_jwk(signer: Signer, **members: str) -> str:
    numbers = signer.private.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
           "y": b64url(numbers.y.to_bytes(32, "big")), **members}
    return "did:jwk:" + b64url(json.dumps(jwk).encode())


def test_a_data_integrity_proof_by_an_encryption_key_fails_the_key_purpose_even_though_the_signature_holds():
    signer = Signer(curve="P-256")
    did = p256_did_jwk(signer, use="enc")
    found = di(signer.sign(ob3_credential(did), suite="ecdsa-rdfc-2019", vm=f"{did}#0"))
    assert (found["issuer.key_purpose"], found["proof.signature"]) == ("failed", "passed")


def test_a_vc_jwt_signed_by_an_encryption_key_fails_the_key_purpose():
    private = Ed25519PrivateKey.generate()
    x = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    did = "did:jwk:" + b64url(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(x), "use": "enc"}).encode())
    issuer = Issuer.generate()
    token = issuer.sign(issuer.claims(issuer_override=did), header={"kid": f"{did}#0"}, key=private)
    assert jwt_checks(token)["issuer.key_purpose"] == "failed"


def test_an_ecdsa_proof_claimed_over_an_ed25519_key_fails_the_signature():
    signer = Signer()  # Ed25519
    found = di(signer.sign(ob3_credential(signer.did), suite="ecdsa-rdfc-2019"))
    assert found["proof.signature"] == "failed"


@pytest.mark.parametrize("proof", ["z3FXQ…", 42, None])
def test_a_proof_that_is_not_an_object_fails(proof):
    signer = Signer()
    signed = signer.sign(ob3_credential(signer.did))
    found = di({**signed, "proof": proof})
    assert "failed" in found.values() and "passed" not in found.values()


def test_a_did_web_key_whose_host_is_unreachable_now_leaves_the_proof_undecided():
    signer = Signer()
    did = "did:web:academy.example"

    def unreachable(url: str) -> bytes:
        raise keys.KeyUnavailable("the DID document could not be fetched now: timeout")

    found = di(signer.sign(ob3_credential(did), vm=f"{did}#key-1"), keys.Resolver(fetch=unreachable))
    assert found["issuer.key"] == "indeterminate"
    assert found["proof.signature"] == "skipped"


def test_a_vc_jwt_naming_neither_kid_nor_iss_fails_the_issuer_key():
    issuer = Issuer.generate()
    payload = issuer.claims()
    payload.pop("iss")
    assert jwt_checks(issuer.sign(payload, header={"kid": None}))["issuer.key"] == "failed"


def test_a_vc_jwt_carrying_its_own_key_in_the_header_is_not_trusted():
    issuer = Issuer.generate()
    x = issuer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    payload = issuer.claims()
    payload.pop("iss")
    token = pyjwt.encode(payload, issuer.private_key, algorithm="EdDSA",
                         headers={"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(x)}})
    assert jwt_checks(token)["issuer.key"] == "unsupported"


def test_a_vc_jose_cose_credential_that_names_no_issuer_fails_issuer_matches_key():
    issuer = Issuer.generate()
    credential = issuer.claims()["vc"]
    credential.pop("issuer")
    token = issuer.sign(credential)  # the payload is the credential itself; kid is the issuer's key
    assert jwt_checks(token)["issuer.matches_key"] == "failed"
