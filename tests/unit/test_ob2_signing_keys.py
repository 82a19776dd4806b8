"""Open Badges 2.0 signed assertions whose issuer publishes a key the JWS cannot be checked with.

The issuer's CryptographicKey (§CryptographicKey publicKeyPem) is whatever the issuer's site serves: a key
of another kind than the JWS's algorithm, or one no JWS algorithm uses, is a failed issuer key, not a crash.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ISSUER = "https://badges.example.org/issuer"
BADGE = "https://badges.example.org/badges/python"
ASSERTION = "https://badges.example.org/assertions/123"
KEY = "https://badges.example.org/keys/1"


def site(public_key) -> dict:
    pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    return {
        BADGE: {"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": BADGE,
                "name": "Python Programming", "issuer": ISSUER},
        ISSUER: {"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": ISSUER,
                 "name": "Example Academy", "publicKey": KEY},
        KEY: {"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey", "id": KEY,
              "owner": ISSUER, "publicKeyPem": pem},
    }


def signed(private_key, algorithm: str) -> str:
    identity = "sha256$" + hashlib.sha256(b"ada@example.orgs4lt").hexdigest()
    payload = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": ASSERTION,
               "recipient": {"type": "email", "hashed": True, "salt": "s4lt", "identity": identity},
               "badge": BADGE, "issuedOn": "2026-01-10T00:00:00Z",
               "verification": {"type": "signed", "creator": KEY}}
    return pyjwt.encode(payload, private_key, algorithm=algorithm)


def verify(host: Host, token: str) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(), fetch=host, emails=("ada@example.org",))


def status_of(report: dict, code: str) -> str:
    return next(c for c in report["checks"] if c["code"] == code)["status"]


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_an_ec_signed_assertion_verifies_with_the_ec_key_its_issuer_publishes():
    key = ec.generate_private_key(ec.SECP256R1())
    report = verify(Host(site(key.public_key())), signed(key, "ES256"))
    assert (report["verdict"], status_of(report, "proof.signature")) == ("verified", "passed")


def test_an_rs256_assertion_whose_issuer_publishes_an_ec_key_fails_instead_of_crashing(rsa_key):
    published = ec.generate_private_key(ec.SECP256R1()).public_key()
    report = verify(Host(site(published)), signed(rsa_key, "RS256"))
    assert report["verdict"] == "failed"
    assert status_of(report, "proof.signature") == "failed"


@pytest.mark.parametrize("published", [
    pytest.param(lambda: dsa.generate_private_key(2048).public_key(), id="DSA"),
    pytest.param(lambda: x25519.X25519PrivateKey.generate().public_key(), id="X25519"),
    pytest.param(lambda: ed25519.Ed25519PrivateKey.generate().public_key(), id="Ed25519"),
])
def test_an_issuer_key_of_a_kind_no_open_badges_jws_uses_fails_the_issuer_key_check(rsa_key, published):
    report = verify(Host(site(published())), signed(rsa_key, "RS256"))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")
