"""Key documents that do not give a usable public key: every one is refused (KeyNotFound: the proof cannot hold)
or reported as not supported yet, never turned into a key that could verify something.

Sources: RFC 7517 / RFC 7518 §6 / RFC 8037 §2 (JWK members), did:web §3.2 (the document at the DID's URL has
that DID as its id), did:jwk §2 (one key, #0), Multikey (base58-btc 'z'), OB 3.0 §8.2.4.1 (https key URLs).
"""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.verification import keys
from tests.support.di_signer import Signer

DID = "did:web:academy.example"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def serving(document: object) -> keys.Resolver:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return keys.Resolver(fetch=lambda url: body)


@pytest.mark.parametrize("jwk", [
    pytest.param(["not", "an", "object"], id="not an object"),
    pytest.param({"kty": "OKP", "crv": "Ed25519"}, id="no x"),
    pytest.param({"kty": "OKP", "crv": "Ed25519", "x": "***"}, id="x not base64url"),
    pytest.param({"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32), "y": b64url(b"\x02" * 32)},
                 id="a point off the curve"),
    pytest.param({"kty": "RSA", "n": b64url(rsa.generate_private_key(public_exponent=65537, key_size=1024)
                                            .public_key().public_numbers().n.to_bytes(128, "big")), "e": "AQAB"},
                 id="RSA shorter than 2048 bits"),
])
def test_a_jwk_that_is_no_usable_public_key_is_refused(jwk):
    with pytest.raises(keys.KeyNotFound):
        keys.jwk_key(jwk)


def test_a_jwk_of_a_key_type_not_read_yet_is_unsupported_rather_than_refused():
    with pytest.raises(keys.KeyUnsupported):
        keys.jwk_key({"kty": "OKP", "crv": "X448", "x": "AAAA"})


@pytest.mark.parametrize("value", ["mAQID", 42, "z"])
def test_a_public_key_multibase_that_is_not_a_base58_multikey_is_refused(value):
    with pytest.raises(keys.KeyNotFound):
        keys.multikey(value)


def test_a_did_document_served_for_another_did_names_no_key_of_this_one():
    signer = Signer()
    other = "did:web:mallory.example"
    document = {"id": other, "verificationMethod": [{"id": f"{DID}#key-1", "type": "Multikey", "controller": DID,
                                                     "publicKeyMultibase": signer.multikey}],
                "assertionMethod": [f"{DID}#key-1"]}
    with pytest.raises(keys.KeyNotFound, match="not the identifier it was read for"):
        serving(document).resolve(f"{DID}#key-1")


@pytest.mark.parametrize("vm_id, document, problem", [
    pytest.param(DID, {"id": DID}, "#fragment", id="no fragment"),
    pytest.param(f"{DID}#key-1", {"id": DID, "verificationMethod": [
        {"id": f"{DID}#key-1", "type": "Ed25519VerificationKey2018", "controller": DID,
         "publicKeyBase58": "H3C2AVvLMv6gmMNam3uVAjZpfkcJCwDwnZn6z3wXmqPV"}]}, "no usable key",
                 id="a key format not read"),
    pytest.param(f"{DID}#key-2", {"id": DID, "verificationMethod": []}, "no usable key", id="no such key"),
    pytest.param(f"{DID}#key-1", b"<html>", "not JSON", id="not JSON"),
])
def test_a_did_web_method_the_document_does_not_give_is_refused(vm_id, document, problem):
    with pytest.raises(keys.KeyNotFound, match=problem):
        serving(document).resolve(vm_id)


def test_without_a_fetcher_did_web_is_unsupported_not_refused():
    with pytest.raises(keys.KeyUnsupported):
        keys.Resolver().resolve(f"{DID}#key-1")


@pytest.mark.parametrize("vm_id", ["did:jwk:eyJrdHkiOiJPS1AifQ#1", "did:jwk:not-base64-json#0"])
def test_a_did_jwk_with_another_fragment_or_no_json_is_refused(vm_id):
    with pytest.raises(keys.KeyNotFound):
        keys.Resolver().resolve(vm_id)


def test_a_key_url_that_is_not_https_is_refused_without_a_fetch():
    fetched = []
    resolver = keys.Resolver(fetch=lambda url: fetched.append(url) or b"{}")
    with pytest.raises(keys.KeyNotFound, match="https"):
        resolver.resolve_jwk_url("http://academy.example/keys.json#k1")
    assert fetched == []


def test_a_key_set_without_exactly_one_key_for_the_kid_is_refused():
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}  # RFC 8037 §A.2
    key_set = {"keys": [{**jwk, "kid": "k1"}, {**jwk, "kid": "k1"}]}
    with pytest.raises(keys.KeyNotFound, match="single key"):
        serving(key_set).resolve_jwk_url("https://academy.example/keys.json#k1")


def test_the_key_document_cache_holds_at_most_its_size_however_many_documents_an_issuer_publishes():
    # An attacker's issuer can name a new key URL per credential, each a large document: the cache stays bounded.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}
    body = json.dumps({"keys": [jwk], "padding": "x" * 50_000}).encode()
    fetched = []
    resolver = keys.Resolver(fetch=lambda url: fetched.append(url) or body, max_cache_bytes=1024 * 1024)
    for n in range(200):
        resolver.resolve_jwk_url(f"https://academy.example/keys/{n}.json#k1")
    assert resolver._cache.bytes <= 1024 * 1024 and 0 < len(resolver._cache) < 200
    resolver.resolve_jwk_url("https://academy.example/keys/199.json#k1")  # the most recent is still cached
    assert len(fetched) == 200
    resolver.resolve_jwk_url("https://academy.example/keys/0.json#k1")  # the oldest was evicted: fetched again
    assert len(fetched) == 201
