"""Issuer trust: registered issuers pass, unregistered ones fail or are flagged by policy, unreachable is its own result."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.verification import trust
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
DID = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def registry(*entries, policy="flag") -> trust.Registry:
    return trust.Registry(entries=frozenset(entries), policy=policy)


@pytest.mark.parametrize("issuer_id, entry, kind", [
    (DID, ("did", DID), "did"),
    (DID + "#key-1", ("did", DID), "did"),
    ("https://academy.example/issuers/1", ("issuer", "https://academy.example/issuers/1"), "issuer"),
    ("https://academy.example/issuers/1", ("domain", "academy.example"), "domain"),
    ("https://badges.academy.example/i", ("domain", "academy.example"), "domain"),
    ("did:web:academy.example", ("domain", "academy.example"), "domain"),
    ("did:web:academy.example%3A8443:issuers:1", ("domain", "academy.example"), "domain"),
])
def test_a_registered_issuer_passes_by_did_issuer_id_or_domain(issuer_id, entry, kind):
    result = trust.check(issuer_id, registry(entry))
    assert (result.status, result.message) == ("passed", f"the issuer is in the tenant's trust registry (by {kind})")


@pytest.mark.parametrize("issuer_id, entry", [
    ("https://evilacademy.example/i", ("domain", "academy.example")),  # a suffix is not a subdomain
    ("http://academy.example/i", ("domain", "academy.example")),  # plain http is not anchored to the name
    ("did:key:z6MkOther", ("did", DID)),
    ("https://academy.example.evil.example/i", ("domain", "academy.example")),
])
def test_look_alike_issuers_are_not_registered(issuer_id, entry):
    assert trust.matching_kind(issuer_id, frozenset([entry])) is None


def test_an_unregistered_issuer_fails_under_the_fail_policy():
    assert trust.check(DID, registry(policy="fail")).status == "failed"


def test_an_unregistered_issuer_is_only_flagged_under_the_default_policy():
    result = trust.check(DID, registry())
    assert (result.status, result.message) == ("skipped", "flagged: the issuer is not in the tenant's trust registry")


def test_an_unreachable_registry_is_indeterminate_and_says_so():
    result = trust.check(DID, trust.UNREACHABLE)
    assert (result.status, result.message) == (
        "indeterminate", "the tenant's trust registry is unreachable, so trust is unknown")


@pytest.mark.parametrize("kind, value", [("did", "academy.example"), ("domain", "https://academy.example"),
                                         ("domain", "localhost"), ("colour", "blue"), ("issuer", "")])
def test_malformed_entries_are_refused(kind, value):
    with pytest.raises(ValueError):
        trust.normalise(kind, value)


def verify(token, reg):
    return verify_credential(jwt=token, now=NOW, settings=Settings(), registry=reg)


def test_the_report_flags_an_unregistered_issuer_without_failing_it():
    report = verify(Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1)), registry())
    assert report["verdict"] == "verified"
    assert report["flags"] == ["issuer.unregistered"]


def test_the_report_fails_an_unregistered_issuer_for_a_tenant_whose_policy_is_fail():
    report = verify(Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1)), registry(policy="fail"))
    assert report["verdict"] == "failed"


def test_a_registered_issuer_is_verified_without_flags():
    issuer = Issuer.generate()
    report = verify(issuer.vc_jwt(nbf=NOW - timedelta(days=1)), registry(("did", issuer.did), policy="fail"))
    assert (report["verdict"], report["flags"]) == ("verified", [])


def test_an_unreachable_registry_makes_the_verdict_indeterminate_not_failed():
    report = verify(Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1)), trust.UNREACHABLE)
    assert report["verdict"] == "indeterminate"


def test_without_a_tenant_no_registry_is_consulted_and_the_report_says_so():
    report = verify(Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1)), None)
    assert (report["verdict"], report["flags"]) == ("verified", ["issuer.trust_not_checked"])
