"""Issuers that publish on the web, in memory: DID documents for did:web, controller documents and JWK sets
for https issuers, served by a `Network` the verifier's key resolver reads through (unit tests only).

did:web locations follow the did:web method §3.2; controller documents follow Controlled Identifiers 1.0 §2
(an `id` equal to the URL it is served from, `verificationMethod`, `assertionMethod`).
"""
from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import keys
from tests.support.memory_host import MemoryHost

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


class Network(MemoryHost):
    """A MemoryHost that answers the request a real HTTP client would send: the fragment dropped and an
    empty path read as "/", so a URL that smuggles a host past a parser reaches the host the client sees."""

    def __call__(self, url, *, purpose=None, accept=None, max_bytes=None, deadline_s=None):
        parts = urlsplit(url)
        return super().__call__(f"{parts.scheme}://{parts.netloc}{parts.path or '/'}", purpose=purpose,
                                accept=accept, max_bytes=max_bytes, deadline_s=deadline_s)

    def publish(self, url: str, document: dict) -> None:
        self.routes[url] = document

    def resolver(self) -> keys.Resolver:
        """A key resolver that fetches from this network, with the errors the safe fetcher's wrapper gives."""
        return keys.Resolver(fetch=keys.document_fetch(self))


def did_document(did: str, *methods: dict, assertion: list | None = None) -> dict:
    """A DID document defining `methods`, each listed under assertionMethod unless `assertion` says otherwise."""
    return {"@context": DID_CONTEXT, "id": did, "verificationMethod": list(methods),
            "assertionMethod": [m["id"] for m in methods] if assertion is None else assertion}


def multikey_method(vm_id: str, multikey: str, *, controller: str) -> dict:
    return {"id": vm_id, "type": "Multikey", "controller": controller, "publicKeyMultibase": multikey}


def jwk_of(private: Ed25519PrivateKey, *, kid: str | None = None) -> dict:
    """The public OKP JWK (RFC 8037 §2) of an Ed25519 key."""
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}
    return {**jwk, "kid": kid} if kid else jwk


def controller_document(url: str, *, methods: tuple[dict, ...] = (), assertion: list | None = None) -> dict:
    """An https issuer's controlled identifier document: its own id, its JsonWebKey methods, its assertionMethod."""
    return {"@context": ["https://www.w3.org/ns/cid/v1"], "id": url, "verificationMethod": list(methods),
            "assertionMethod": [m["id"] for m in methods] if assertion is None else assertion}


def json_web_key_method(vm_id: str, private: Ed25519PrivateKey, *, controller: str) -> dict:
    return {"id": vm_id, "type": "JsonWebKey", "controller": controller, "publicKeyJwk": jwk_of(private)}


def encoded(document: dict) -> str:
    return json.dumps(document)
