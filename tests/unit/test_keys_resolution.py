"""Verification methods resolve from did:key, did:jwk and did:web (served by a real local HTTP server)."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.verification import keys
from tests.support.di_signer import Signer


def b64url(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("did, url", [
    # did:web method specification §3.2.2 examples.
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
])
def test_a_did_web_maps_to_its_published_document_location(did, url):
    assert keys.did_web_url(did) == url


def test_a_did_jwk_for_an_ed25519_key_resolves_to_that_key_as_an_assertion_method():
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}  # RFC 8037 §A.2
    method = keys.Resolver().resolve(f"did:jwk:{b64url(json.dumps(jwk))}#0")
    assert isinstance(method.key, Ed25519PublicKey) and keys.ASSERTION in method.purposes


def test_a_did_jwk_whose_key_is_for_encryption_cannot_assert():
    jwk = {"kty": "EC", "crv": "P-256", "use": "enc", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
           "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}  # RFC 7517 §A.1
    method = keys.Resolver().resolve(f"did:jwk:{b64url(json.dumps(jwk))}#0")
    assert isinstance(method.key, ec.EllipticCurvePublicKey) and keys.ASSERTION not in method.purposes


def test_a_jwk_carrying_a_private_key_is_refused():
    with pytest.raises(keys.KeyNotFound, match="private"):
        keys.jwk_key({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"})


def test_a_p256_did_key_resolves_to_its_point():
    signer = Signer(curve="P-256")
    assert keys.Resolver().resolve(signer.vm).key.public_numbers() == signer.private.public_key().public_numbers()
