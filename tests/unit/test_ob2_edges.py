"""Open Badges 2.0: the issuer's own rules for where its assertions live, its revocation list when it cannot be
read, and documents that are not what they should be. Nothing unreadable verifies.

Same issuer site as test_ob2_badges.py (the specification's example shapes, example.org hosts); the rules are
OB 2.0 §VerificationObject (allowedOrigins, startsWith), §RevocationList, §CryptographicKey and §Profile.
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.verification.fetching import FetchFailed
from tests.support.memory_host import MemoryHost as Host
from tests.unit.test_ob2_badges import ASSERTION, ISSUER, KEY, assertion, issuer_site, signed, status_of, verify

REVOCATIONS = "https://badges.example.org/revoked"
CDN = "https://cdn.example.net/badges/assertions/123"


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def site(private_key):
    return issuer_site(private_key)


def issuer_rules(site: dict, **rules) -> None:
    site[ISSUER] = {**site[ISSUER], "verification": {"type": "hosted", **rules}}


def hosted_at(site: dict, url: str) -> dict:
    site[url] = assertion(id=url)
    return assertion(id=url)


@pytest.mark.parametrize("rules, outcome", [
    pytest.param({"startsWith": ["https://cdn.example.net/badges/"]}, "passed", id="under the issuer's prefix"),
    pytest.param({"startsWith": ["https://cdn.example.net/other/"]}, "failed", id="outside the issuer's prefix"),
    pytest.param({"allowedOrigins": ["cdn.example.net"]}, "passed", id="on an origin the issuer allows"),
    pytest.param({"allowedOrigins": ["static.example.net"]}, "failed", id="on an origin the issuer does not allow"),
])
def test_an_assertion_hosted_off_the_issuers_own_origin_is_accepted_only_where_its_issuer_says(site, rules, outcome):
    issuer_rules(site, **rules)
    submitted = hosted_at(site, CDN)
    report = verify(Host(site), document=submitted)
    assert status_of(report, "ob2.origin") == outcome


def test_a_prefix_rule_replaces_the_default_origin_so_the_issuers_own_host_outside_it_fails(site):
    issuer_rules(site, startsWith=["https://cdn.example.net/badges/"])
    assert status_of(verify(Host(site), document=assertion()), "ob2.origin") == "failed"


def test_an_issuer_revocation_list_that_cannot_be_fetched_leaves_the_badge_undecided_never_verified(site):
    site[ISSUER] = {**site[ISSUER], "revocationList": REVOCATIONS}
    site[REVOCATIONS] = FetchFailed("timeout", "timed out")
    report = verify(Host(site), document=assertion())
    assert (report["verdict"], status_of(report, "status.revocation")) == ("indeterminate", "indeterminate")


def test_an_issuer_revocation_list_that_does_not_name_the_badge_passes_it(site):
    site[ISSUER] = {**site[ISSUER], "revocationList": REVOCATIONS}
    site[REVOCATIONS] = {"type": "RevocationList", "id": REVOCATIONS, "issuer": ISSUER,
                         "revokedAssertions": ["https://badges.example.org/assertions/999"]}
    report = verify(Host(site), document=assertion())
    assert (report["verdict"], status_of(report, "status.revocation")) == ("verified", "passed")


def test_the_assertion_hosted_at_its_id_naming_another_id_fails(site):
    site[ASSERTION] = assertion(id="https://badges.example.org/assertions/456")
    assert status_of(verify(Host(site), document=assertion()), "ob2.hosted") == "failed"


@pytest.mark.parametrize("body", ["<html>not found</html>", "[1, 2]"])
def test_a_hosted_assertion_that_is_not_a_json_object_fails(site, body):
    site[ASSERTION] = body
    report = verify(Host(site), document=assertion())
    assert (report["verdict"], status_of(report, "ob2.hosted")) == ("failed", "failed")


def test_an_assertion_whose_id_is_not_an_http_url_fails_without_any_fetch(site):
    host = Host(site)
    report = verify(host, document=assertion(id="urn:uuid:2f1a2b43"))
    assert (report["verdict"], host.hits) == ("failed", 0)


def test_an_issuer_profile_without_an_id_fails_the_badge_check(site):
    site[ISSUER] = {k: v for k, v in site[ISSUER].items() if k != "id"}
    assert status_of(verify(Host(site), document=assertion()), "ob2.badge") == "failed"


def test_an_unreadable_issued_on_date_fails_validity(site):
    site[ASSERTION] = assertion(issuedOn="last Tuesday")
    report = verify(Host(site), document=assertion(issuedOn="last Tuesday"))
    assert (report["verdict"], status_of(report, "validity.expiry")) == ("failed", "failed")


@pytest.mark.parametrize("key_document", [
    pytest.param({"owner": ISSUER}, id="no publicKeyPem"),
    pytest.param({"owner": ISSUER, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},
                 id="a publicKeyPem that is no key"),
])
def test_a_signed_assertion_whose_issuer_key_document_holds_no_usable_key_fails(site, private_key, key_document):
    site[KEY] = {"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey", "id": KEY, **key_document}
    report = verify(Host(site), jwt=signed(private_key))
    assert (report["verdict"], status_of(report, "issuer.key")) == ("failed", "failed")
