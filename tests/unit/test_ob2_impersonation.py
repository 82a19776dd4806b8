"""Open Badges 2.0 issuer impersonation: each attack an issuer's forger could mount ends as `failed`.

The BadgeClass and the Issuer are always fetched from their ids, each fetched document must carry the id
it was fetched from (and stay on that id's origin across redirects), and only that Issuer's verification
rules and published keys count (Open Badges 2.0 §VerificationObject, §Profile, §CryptographicKey).
"""
from __future__ import annotations

import hashlib

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.memory_host import MemoryHost, Response
from tests.unit.test_ob2_badges import NOW, SALT

OB2 = "https://w3id.org/openbadges/v2"
TRUSTED = "https://trusted-university.edu"
ISSUER, BADGE, KEY = f"{TRUSTED}/issuer", f"{TRUSTED}/badges/phd", f"{TRUSTED}/keys/1"
EVIL = "https://attacker.example"


class Host(MemoryHost):
    """A MemoryHost whose `redirects` answer as a redirect would: the target's answer, with its final URL."""

    def __init__(self, routes: dict, redirects: dict[str, str] | None = None):
        super().__init__(routes)
        self.redirects = dict(redirects or {})

    def __call__(self, url, **kwargs):
        if url in self.redirects:
            got = super().__call__(self.redirects[url], **kwargs)
            return Response(got.status, got.body, got.headers, self.redirects[url])
        return super().__call__(url, **kwargs)


def pem(private_key) -> str:
    return private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def university_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def attacker_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def assertion(id: str, **overrides) -> dict:
    doc = {"@context": OB2, "type": "Assertion", "id": id,
           "recipient": {"type": "email", "hashed": True, "salt": SALT,
                         "identity": "sha256$" + hashlib.sha256(f"mallory@example.org{SALT}".encode()).hexdigest()},
           "badge": BADGE, "issuedOn": "2026-01-10T00:00:00Z", "verification": {"type": "hosted"}}
    return doc | overrides


@pytest.fixture
def university(university_key) -> dict:
    """The genuine university's site: its Issuer publishes one key and hosts assertions on its own origin."""
    return {
        BADGE: {"@context": OB2, "type": "BadgeClass", "id": BADGE, "name": "PhD in Physics", "issuer": ISSUER,
                "criteria": {"narrative": "Defended a thesis."}},
        ISSUER: {"@context": OB2, "type": "Issuer", "id": ISSUER, "name": "Trusted University", "publicKey": KEY},
        KEY: {"@context": OB2, "type": "CryptographicKey", "id": KEY, "owner": ISSUER,
              "publicKeyPem": pem(university_key)},
    }


def verify(host, **submission):
    return verify_credential(**submission, now=NOW, settings=Settings(), fetch=host, emails=["mallory@example.org"])


def status_of(report: dict, code: str) -> str | None:
    return next((c["status"] for c in report["checks"] if c["code"] == code), None)


def test_a_genuine_hosted_assertion_of_the_university_is_verified(university):
    university[f"{TRUSTED}/assertions/1"] = assertion(f"{TRUSTED}/assertions/1")
    report = verify(Host(university), document=assertion(f"{TRUSTED}/assertions/1"))
    assert (report["verdict"], report["issuer"]["id"]) == ("verified", ISSUER)


def test_an_embedded_issuer_allowing_the_attackers_origin_is_ignored_for_the_issuers_own_profile(university):
    embedded_badge = {**university[BADGE], "issuer": {**university[ISSUER], "verification": {
        "type": "hosted", "allowedOrigins": ["attacker.example"]}}}
    forged = assertion(f"{EVIL}/a/1", badge=embedded_badge)
    report = verify(Host({**university, f"{EVIL}/a/1": forged}), document=forged)
    assert (report["verdict"], status_of(report, "ob2.origin")) == ("failed", "failed")


def test_an_embedded_issuer_with_a_starts_with_rule_for_the_attacker_is_ignored(university):
    embedded_badge = {**university[BADGE], "issuer": {**university[ISSUER], "verification": {
        "type": "hosted", "startsWith": [f"{EVIL}/"]}}}
    forged = assertion(f"{EVIL}/a/2", badge=embedded_badge)
    report = verify(Host({**university, f"{EVIL}/a/2": forged}), document=forged)
    assert (report["verdict"], status_of(report, "ob2.origin")) == ("failed", "failed")


def test_an_issuer_profile_whose_id_is_not_the_url_it_came_from_fails(university):
    # The attacker hosts a BadgeClass and an Issuer profile that claims to be the university's.
    site = {**university,
            f"{EVIL}/badge": {**university[BADGE], "id": f"{EVIL}/badge", "issuer": f"{EVIL}/issuer"},
            f"{EVIL}/issuer": {**university[ISSUER], "verification": {"allowedOrigins": ["attacker.example"]}}}
    forged = assertion(f"{EVIL}/a/3", badge=f"{EVIL}/badge")
    site[f"{EVIL}/a/3"] = forged
    report = verify(Host(site), document=forged)
    assert (report["verdict"], status_of(report, "ob2.badge")) == ("failed", "failed")
    assert report["issuer"] is None or report["issuer"].get("id") != ISSUER


def test_a_badge_class_whose_id_is_not_the_url_it_came_from_fails(university):
    site = {**university, f"{EVIL}/badge": university[BADGE]}  # the university's BadgeClass, copied
    forged = assertion(f"{EVIL}/a/4", badge=f"{EVIL}/badge")
    site[f"{EVIL}/a/4"] = forged
    assert status_of(verify(Host(site), document=forged), "ob2.badge") == "failed"


def test_an_issuer_profile_reached_through_a_redirect_to_another_origin_fails(university):
    # An open redirect on the university's site leads to the attacker's profile, which names the redirect URL.
    hop = f"{TRUSTED}/go?to=attacker"
    site = {**university,
            f"{EVIL}/badge": {**university[BADGE], "id": f"{EVIL}/badge", "issuer": hop},
            f"{EVIL}/issuer": {**university[ISSUER], "id": hop, "verification": {"allowedOrigins": ["attacker.example"]}}}
    forged = assertion(f"{EVIL}/a/5", badge=f"{EVIL}/badge")
    site[f"{EVIL}/a/5"] = forged
    report = verify(Host(site, redirects={hop: f"{EVIL}/issuer"}), document=forged)
    assert (report["verdict"], status_of(report, "ob2.badge")) == ("failed", "failed")


def test_a_redirect_within_the_issuers_own_origin_is_followed(university):
    university[f"{TRUSTED}/assertions/6"] = assertion(f"{TRUSTED}/assertions/6")
    host = Host(university, redirects={f"{TRUSTED}/issuer": f"{TRUSTED}/issuer"})
    assert verify(host, document=assertion(f"{TRUSTED}/assertions/6"))["verdict"] == "verified"


def signed(private_key, creator: str, **overrides) -> str:
    payload = assertion(f"urn:uuid:{hashlib.md5(creator.encode()).hexdigest()}",
                        verification={"type": "signed", "creator": creator}, **overrides)
    return pyjwt.encode(payload, private_key, algorithm="RS256")


def test_a_badge_signed_with_the_universitys_published_key_is_verified(university, university_key):
    report = verify(Host(university), jwt=signed(university_key, KEY))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("verified", "passed")


def test_an_attackers_key_whose_owner_claims_the_university_fails(university, attacker_key):
    site = {**university, f"{EVIL}/key": {"@context": OB2, "type": "CryptographicKey", "id": f"{EVIL}/key",
                                         "owner": ISSUER, "publicKeyPem": pem(attacker_key)}}
    report = verify(Host(site), jwt=signed(attacker_key, f"{EVIL}/key"))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")


def test_an_attackers_key_on_the_universitys_origin_that_its_issuer_does_not_publish_fails(university, attacker_key):
    stray = f"{TRUSTED}/~mallory/key"
    site = {**university, stray: {"@context": OB2, "type": "CryptographicKey", "id": stray, "owner": ISSUER,
                                  "publicKeyPem": pem(attacker_key)}}
    report = verify(Host(site), jwt=signed(attacker_key, stray))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")


def test_a_key_document_whose_id_is_not_its_url_fails(university, attacker_key):
    # The issuer publishes KEY; the attacker serves a key document naming KEY from elsewhere.
    elsewhere = f"{EVIL}/key"
    site = {**university, elsewhere: {**university[KEY], "publicKeyPem": pem(attacker_key)}}
    report = verify(Host(site), jwt=signed(attacker_key, elsewhere))
    assert report["verdict"] == "failed"


def test_a_signed_badge_embedding_an_issuer_that_lists_the_attackers_key_fails(university, attacker_key):
    site = {**university, f"{EVIL}/key": {"@context": OB2, "type": "CryptographicKey", "id": f"{EVIL}/key",
                                         "owner": ISSUER, "publicKeyPem": pem(attacker_key)}}
    embedded = {**university[BADGE], "issuer": {**university[ISSUER], "publicKey": [KEY, f"{EVIL}/key"]}}
    report = verify(Host(site), jwt=signed(attacker_key, f"{EVIL}/key", badge=embedded))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")


def test_an_issuer_listing_its_key_as_an_embedded_node_verifies_its_signed_badges(university, university_key):
    university[ISSUER] = {**university[ISSUER], "publicKey": [{"id": KEY, "type": "CryptographicKey", "owner": ISSUER}]}
    assert verify(Host(university), jwt=signed(university_key, KEY))["verdict"] == "verified"


def test_a_key_the_issuer_publishes_but_whose_document_names_another_owner_fails(university, university_key):
    university[KEY] = {**university[KEY], "owner": f"{EVIL}/issuer"}
    report = verify(Host(university), jwt=signed(university_key, KEY))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")
