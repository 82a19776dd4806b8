"""Endorsements are charged to the credential's fetch budget: however many a credential carries, its verification makes
no more fetches than VERIFY_FETCH_BUDGET, its own checks come first, and endorsements refused for the budget are
reported as not checked without making the credential's own verdict indeterminate."""
from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.demo_issuer import did_key_for
from services.verification import endorsements, keys
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.web_issuers import Network, did_document, multikey_method
from tests.unit.test_endorsements import ACHIEVEMENT_ID, NOW, credential_with, endorsement_jwt

BUDGET = 3
SETTINGS = Settings(verify_fetch_budget=BUDGET, clock_skew_s=62)  # a settings value of its own: its own resolver


@pytest.fixture
def network(monkeypatch) -> Network:
    net = Network()
    monkeypatch.setitem(keys._RESOLVERS, SETTINGS, net.resolver())
    return net


def web_endorser(network: Network, n: int, subject_id: str = ACHIEVEMENT_ID) -> str:
    """An EndorsementCredential by did:web:endorser<n>.example, whose key only its DID document (a fetch) gives."""
    key = Ed25519PrivateKey.generate()
    did = f"did:web:endorser{n}.example"
    multikey = did_key_for(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).removeprefix("did:key:")
    network.publish(f"https://endorser{n}.example/.well-known/did.json",
                    did_document(did, multikey_method(f"{did}#key-1", multikey, controller=did)))
    endorser = replace(Issuer.generate(name=f"Council {n}"), private_key=key, did=did)
    claims = endorser.claims(achievement_name="Endorsement")
    claims["vc"]["type"] = ["VerifiableCredential", "EndorsementCredential"]
    claims["vc"]["credentialSubject"] = {"type": "EndorsementSubject", "id": subject_id}
    return endorser.sign(claims, header={"kid": f"{did}#key-1"})


def hostile_credential(network: Network, count: int) -> str:
    """A did:key credential (its own key needs no fetch) carrying `count` endorsements, each needing a fetch,
    on the credential, its achievement and its issuer profile at once."""
    issuer = Issuer.generate(name="Bootcamp")
    claims = issuer.claims(subject_email="ada@example.org", achievement_name="SQL")
    places = [(claims["vc"]["credentialSubject"]["achievement"], ACHIEVEMENT_ID), (claims["vc"]["issuer"], issuer.did),
              (claims["vc"], claims["vc"]["id"])]
    places[0][0]["id"] = ACHIEVEMENT_ID
    for i, (place, endorsed) in enumerate(places):
        place["endorsementJwt"] = [web_endorser(network, n, endorsed) for n in range(i, count, len(places))]
    return issuer.sign(claims)


def verify(token: str) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=SETTINGS, emails=["ada@example.org"])


def test_a_credential_carrying_sixty_endorsements_makes_no_more_fetches_than_its_budget(network):
    report = verify(hostile_credential(network, 60))
    assert network.hits <= BUDGET
    assert len(report["endorsements"]) <= endorsements.MAX_ENDORSEMENTS


def test_endorsements_refused_for_the_budget_say_so_and_leave_the_credentials_own_verdict_alone(network):
    report = verify(hostile_credential(network, 60))
    assert report["verdict"] == "verified"
    assert not any(c["code"] == "fetch.budget" for c in report["checks"])
    verdicts = [e["verdict"] for e in report["endorsements"]]
    assert verdicts.count("verified") == BUDGET
    unchecked = [e for e in report["endorsements"] if e["verdict"] != "verified"]
    assert unchecked and all(e["verdict"] == "indeterminate" and "fetch budget" in e["reason"] for e in unchecked)


def test_the_credentials_own_fetches_come_before_its_endorsements(network):
    # One endorsement within budget 1 after the credential's own did:web key: the key is fetched, not the endorser's.
    settings = Settings(verify_fetch_budget=1, clock_skew_s=63)
    keys._RESOLVERS[settings] = network.resolver()
    try:
        key = Ed25519PrivateKey.generate()
        did = "did:web:bootcamp.example"
        multikey = did_key_for(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).removeprefix("did:key:")
        network.publish("https://bootcamp.example/.well-known/did.json",
                        did_document(did, multikey_method(f"{did}#key-1", multikey, controller=did)))
        issuer = replace(Issuer.generate(name="Bootcamp"), private_key=key, did=did)
        token = credential_with(issuer, web_endorser(network, 99), endorsement_jwt(Issuer.generate()))
        header_token = issuer.sign(_claims_of(token), header={"kid": f"{did}#key-1"})
        report = verify_credential(jwt=header_token, now=NOW, settings=settings, emails=["ada@example.org"])
    finally:
        keys._RESOLVERS.pop(settings, None)
    assert report["verdict"] == "verified" and network.hits == 1
    assert [e["verdict"] for e in report["endorsements"]] == ["indeterminate", "verified"]


def _claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
