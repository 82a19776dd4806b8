"""did:web issuers: DID documents served by a real HTTP server on 127.0.0.1, fetched through shared/fetch, cached."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.verification import dataintegrity, keys
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential
from tests.support.status_host import StatusHost

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
pytestmark = pytest.mark.integration


class DidHost(StatusHost):
    """The shared loopback host serving DID documents (and JWKS) by path; `requests` counts every fetch."""

    def __init__(self):
        super().__init__()
        self.did = f"did:web:127.0.0.1%3A{self.port}:issuers:academy"

    @property
    def requests(self) -> int:
        return sum(self.hits.values())

    def put(self, path: str, document: dict) -> None:
        self.serve(path, json.dumps(document), content_type="application/did+json")

    def publish(self, signer: Signer, *, purposes=("assertionMethod",)) -> str:
        vm = f"{self.did}#key-1"
        document = {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                    "id": self.did,
                    "verificationMethod": [{"id": vm, "type": "Multikey", "controller": self.did,
                                            "publicKeyMultibase": signer.multikey}],
                    **{purpose: [vm] for purpose in purposes}}
        self.put("/issuers/academy/did.json", document)
        return vm


@pytest.fixture
def did_host():
    with DidHost() as host:
        yield host


def fresh_resolver() -> keys.Resolver:
    keys._RESOLVERS.clear()  # one cache per test: each test has its own server
    return keys.resolver_for(Settings(fetch_allow_loopback=1))


def statuses(document: dict, resolver: keys.Resolver) -> dict[str, str]:
    result = dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=resolver)
    return {c.code: c.status for c in result.checks if c.status != "passed"}


def test_a_badge_by_a_did_web_issuer_verifies_with_the_key_its_did_document_lists(did_host):
    signer = Signer()
    vm = did_host.publish(signer)
    assert statuses(signer.sign(ob3_credential(did_host.did), vm=vm), fresh_resolver()) == {}


def test_a_did_web_key_listed_only_for_authentication_fails_the_key_purpose_check(did_host):
    signer = Signer()
    vm = did_host.publish(signer, purposes=("authentication",))
    assert statuses(signer.sign(ob3_credential(did_host.did), vm=vm), fresh_resolver()) == {
        "issuer.key_purpose": "failed", "issuer.matches_key": "failed"}  # not listed for assertionMethod


def test_a_did_web_document_is_fetched_once_and_then_served_from_cache(did_host):
    signer = Signer()
    vm = did_host.publish(signer)
    resolver = fresh_resolver()
    for _ in range(3):
        assert statuses(signer.sign(ob3_credential(did_host.did), vm=vm), resolver) == {}
    assert did_host.requests == 1


def test_a_did_web_document_is_fetched_again_once_its_ttl_has_passed(did_host):
    clock = [0.0]
    signer = Signer()
    vm = did_host.publish(signer)
    fetch = keys.resolver_for(Settings(fetch_allow_loopback=1))._fetch
    resolver = keys.Resolver(fetch=fetch, ttl_s=60, clock=lambda: clock[0], http_loopback=True)
    resolver.resolve(vm)
    clock[0] = 61.0
    resolver.resolve(vm)
    assert did_host.requests == 2


def test_a_did_web_whose_document_is_missing_fails_issuer_key(did_host):
    signer = Signer()
    vm = f"{did_host.did}#key-1"
    assert statuses(signer.sign(ob3_credential(did_host.did), vm=vm), fresh_resolver())["issuer.key"] == "failed"


def test_a_did_web_whose_host_is_down_is_indeterminate_not_failed():
    signer = Signer()
    did = "did:web:127.0.0.1%3A9:issuers:gone"  # port 9 (discard): nothing listens
    result = statuses(signer.sign(ob3_credential(did), vm=f"{did}#key-1"), fresh_resolver())
    assert result["issuer.key"] == "indeterminate"


def test_an_rs256_vc_jwt_whose_kid_is_a_jwks_url_its_issuers_controller_document_lists_verifies(did_host):
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.verification import vcjwt
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "2026"}
    did_host.put("/keys.json", {"keys": [jwk]})
    origin = did_host.origin
    # The issuer's own controlled identifier document (CID 1.0), served at its id, lists the key set.
    did_host.put("/", {"id": origin, "assertionMethod": [f"{origin}/keys.json#2026"]})
    vc = ob3_credential(origin)
    token = pyjwt.encode({"iss": origin, "nbf": 1767225600, "vc": vc}, key, algorithm="RS256",
                         headers={"kid": f"{origin}/keys.json#2026"})
    result = vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=fresh_resolver())
    assert {c.code: c.status for c in result.checks if c.status != "passed"} == {}
    forged = pyjwt.encode({"iss": "https://elsewhere.example", "nbf": 1767225600, "vc": vc}, key,
                          algorithm="RS256", headers={"kid": f"{origin}/keys.json#2026"})
    statuses = {c.code: c.status for c in vcjwt.verify(forged, now=NOW, clock_skew_s=60,
                                                       resolver=fresh_resolver()).checks}
    assert statuses["issuer.matches_key"] == "failed"


def test_a_jwks_in_a_user_directory_on_the_issuers_origin_does_not_speak_for_the_issuer(did_host):
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.verification import vcjwt
    origin = did_host.origin
    did_host.put("/", {"id": origin, "assertionMethod": [f"{origin}/keys.json#2026"]})
    mallory = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(mallory.public_key())), "kid": "k"}
    did_host.put("/~mallory/jwks.json", {"keys": [jwk]})
    token = pyjwt.encode({"iss": origin, "nbf": 1767225600, "vc": ob3_credential(origin)}, mallory,
                         algorithm="RS256", headers={"kid": f"{origin}/~mallory/jwks.json#k"})
    checks = {c.code: c for c in vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=fresh_resolver()).checks}
    assert checks["issuer.matches_key"].status == "failed"
    assert "does not list the signing key" in checks["issuer.matches_key"].message
