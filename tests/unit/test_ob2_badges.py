"""Open Badges 2.0: hosted assertions fetched and compared, signed ones verified with the issuer's published key.

Documents follow the shapes of the Open Badges 2.0 specification's examples (§Assertion, §BadgeClass,
§Profile, §CryptographicKey, §RevocationList), with example.org hosts; keys are generated per run.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification.fetching import FetchFailed
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ISSUER = "https://badges.example.org/issuer"
BADGE = "https://badges.example.org/badges/python"
ASSERTION = "https://badges.example.org/assertions/123"
KEY = "https://badges.example.org/keys/1"
SALT = "s4lt"




def assertion(**overrides) -> dict:
    doc = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": ASSERTION,
           "recipient": {"type": "email", "hashed": True, "salt": SALT,
                         "identity": "sha256$" + hashlib.sha256(f"ada@example.org{SALT}".encode()).hexdigest()},
           "badge": BADGE, "issuedOn": "2026-01-10T00:00:00Z",
           "verification": {"type": "hosted"}}
    doc.update(overrides)
    return doc


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def site(private_key):
    return issuer_site(private_key)


def issuer_site(private_key) -> dict:
    """The issuer's documents by URL: the hosted assertion, its BadgeClass, the Issuer and its signing key."""
    pem = private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    return {
        ASSERTION: assertion(),
        BADGE: {"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass", "id": BADGE,
                "name": "Python Programming", "description": "Writes Python.", "issuer": ISSUER,
                "criteria": {"narrative": "Passed the final."},
                "alignment": [{"targetName": "Python", "targetUrl": "https://esco.example/python",
                               "targetFramework": "ESCO", "targetCode": "S1.2"}]},
        ISSUER: {"@context": "https://w3id.org/openbadges/v2", "type": "Issuer", "id": ISSUER,
                 "name": "Example Academy", "publicKey": KEY},
        KEY: {"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey", "id": KEY,
              "owner": ISSUER, "publicKeyPem": pem},
    }


def verify(host, *, document=None, jwt=None, emails=("ada@example.org",)):
    return verify_credential(document=document, jwt=jwt, now=NOW, settings=Settings(), fetch=host, emails=emails)


def status_of(report, code):
    return next(c for c in report["checks"] if c["code"] == code)["status"]


def test_a_hosted_assertion_matching_what_its_issuer_hosts_is_verified_with_its_badge_as_the_achievement(site):
    report = verify(Host(site), document=assertion())
    assert (report["verdict"], report["format"]) == ("verified", "openbadges-2.0")
    assert report["achievement"]["name"] == "Python Programming"
    assert report["achievement"]["alignments"][0]["targetCode"] == "S1.2"
    assert report["issuer"] == {"id": ISSUER, "name": "Example Academy"}
    assert status_of(report, "recipient") == "passed"


def test_a_hosted_assertion_for_another_applicant_fails_the_recipient_check(site):
    report = verify(Host(site), document=assertion(), emails=("eve@example.org",))
    assert (report["verdict"], status_of(report, "recipient")) == ("failed", "failed")


def test_a_submitted_assertion_that_differs_from_the_hosted_one_fails(site):
    report = verify(Host(site), document=assertion(badge="https://badges.example.org/badges/kubernetes"))
    assert (report["verdict"], status_of(report, "ob2.hosted")) == ("failed", "failed")


def test_a_hosted_assertion_marked_revoked_fails(site):
    site[ASSERTION] = assertion(revoked=True, revocationReason="issued in error")
    assert status_of(verify(Host(site), document=assertion()), "status.revocation") == "failed"


def test_a_hosted_assertion_answering_410_gone_is_revoked(site):
    site[ASSERTION] = 410
    report = verify(Host(site), document=assertion())
    assert (report["verdict"], status_of(report, "status.revocation")) == ("failed", "failed")


def test_an_assertion_hosted_off_the_issuers_origin_fails(site):
    elsewhere = "https://evil.example/assertions/123"
    site[elsewhere] = assertion(id=elsewhere)
    report = verify(Host(site), document=assertion(id=elsewhere))
    assert status_of(report, "ob2.origin") == "failed"


def test_an_unreachable_issuer_site_is_indeterminate(site):
    site[ASSERTION] = FetchFailed("timeout", "timed out")
    assert verify(Host(site), document=assertion())["verdict"] == "indeterminate"


def test_an_expired_assertion_fails(site):
    site[ASSERTION] = assertion(expires="2026-02-01T00:00:00Z")
    report = verify(Host(site), document=assertion(expires="2026-02-01T00:00:00Z"))
    assert status_of(report, "validity.expiry") == "failed"


def test_an_assertion_on_the_issuers_revocation_list_fails(site):
    site[ISSUER] = {**site[ISSUER], "revocationList": "https://badges.example.org/revoked"}
    site["https://badges.example.org/revoked"] = {"type": "RevocationList", "id": "https://badges.example.org/revoked",
                                                  "issuer": ISSUER, "revokedAssertions": [{"id": ASSERTION}]}
    assert status_of(verify(Host(site), document=assertion()), "status.revocation") == "failed"


def signed(private_key, **overrides) -> str:
    payload = assertion(verification={"type": "signed", "creator": KEY}, **overrides)
    return pyjwt.encode(payload, private_key, algorithm="RS256")


def test_a_signed_assertion_verifies_with_the_key_its_issuer_publishes(site, private_key):
    report = verify(Host(site), jwt=signed(private_key))
    assert (report["verdict"], report["format"]) == ("verified", "openbadges-2.0")
    assert status_of(report, "proof.signature") == "passed"


def test_a_signed_assertion_altered_after_signing_fails(site, private_key):
    header, payload, signature = signed(private_key).split(".")
    other_payload = signed(private_key, badge="https://badges.example.org/badges/kubernetes").split(".")[1]
    report = verify(Host(site), jwt=f"{header}.{other_payload}.{signature}")
    assert (report["verdict"], status_of(report, "proof.signature")) == ("failed", "failed")


def test_a_signed_assertion_by_a_key_its_issuer_does_not_own_fails(site, private_key):
    site[KEY] = {**site[KEY], "owner": "https://mallory.example/issuer"}
    site[ISSUER] = {**site[ISSUER], "publicKey": "https://badges.example.org/keys/2"}
    report = verify(Host(site), jwt=signed(private_key))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")


def test_without_network_access_an_open_badge_2_is_unsupported_not_verified():
    report = verify_credential(document=assertion(), now=NOW, settings=Settings())
    assert report["verdict"] == "unsupported"
