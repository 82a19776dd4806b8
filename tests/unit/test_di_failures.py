"""Every way an embedded Data Integrity proof can be wrong is reported by its own check, with a stable code."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.verification import canonical, dataintegrity, keys
from tests.support.di_signer import Signer, ob3_credential

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
ED2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def checks(document: dict, resolver: keys.Resolver | None = None) -> dict[str, str]:
    result = dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=resolver or keys.Resolver())
    return {c.code: c.status for c in result.checks}


def not_passed(document: dict, resolver: keys.Resolver | None = None) -> dict[str, str]:
    return {code: status for code, status in checks(document, resolver).items() if status != "passed"}


@pytest.mark.parametrize("suite, curve", [("eddsa-rdfc-2022", "Ed25519"), ("eddsa-jcs-2022", "Ed25519"),
                                          ("ecdsa-rdfc-2019", "P-256"), ("Ed25519Signature2020", "Ed25519")])
def test_an_open_badge_signed_by_its_did_key_issuer_passes_every_check_in_each_suite(suite, curve):
    issuer = Signer(curve=curve)
    credential = ob3_credential(issuer.did)
    if suite == "Ed25519Signature2020":
        credential["@context"].append(ED2020_CONTEXT)
    assert not_passed(issuer.sign(credential, suite=suite)) == {}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_tampered_achievement_name_fails_the_signature(signer, suite):
    signed = signer.sign(ob3_credential(signer.did), suite=suite)
    signed["credentialSubject"]["achievement"]["name"] = "Advanced SQL"
    assert not_passed(signed) == {"proof.signature": "failed"}


def test_a_proof_made_with_another_key_under_the_issuers_key_id_fails_the_signature(signer):
    forger = Signer()
    forged = forger.sign(ob3_credential(signer.did), vm=signer.vm)
    assert not_passed(forged) == {"proof.signature": "failed"}


def test_a_proof_by_a_key_that_is_not_the_issuers_fails_issuer_matches_key(signer):
    impostor = Signer()
    forged = impostor.sign(ob3_credential(signer.did))  # genuine signature, but by someone else's did:key
    assert not_passed(forged) == {"issuer.matches_key": "failed"}


def test_an_expired_credential_fails_validity_expiry(signer):
    signed = signer.sign(ob3_credential(signer.did, validUntil="2026-02-01T00:00:00Z"))
    assert not_passed(signed) == {"validity.expiry": "failed"}


def test_a_credential_not_yet_valid_fails_validity_not_before(signer):
    signed = signer.sign(ob3_credential(signer.did, validFrom="2027-01-01T00:00:00Z"))
    assert not_passed(signed) == {"validity.not_before": "failed"}


def test_a_proof_created_in_the_future_or_expired_fails_its_own_check(signer):
    assert not_passed(signer.sign(ob3_credential(signer.did), created="2027-01-01T00:00:00Z")) == {
        "proof.created": "failed"}
    assert not_passed(signer.sign(ob3_credential(signer.did), expires="2026-02-01T00:00:00Z")) == {
        "proof.expires": "failed"}


def test_a_proof_made_for_authentication_does_not_assert_a_credential(signer):
    signed = signer.sign(ob3_credential(signer.did), proofPurpose="authentication")
    assert not_passed(signed)["proof.purpose"] == "failed"


def test_swapping_a_context_after_signing_fails_the_signature(signer):
    signed = signer.sign(ob3_credential(signer.did))
    signed["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
    assert not_passed(signed)["proof.signature"] == "failed"


def test_a_term_no_context_defines_fails_jsonld_terms_and_the_signature_is_not_trusted(signer):
    credential = ob3_credential(signer.did)
    credential["@context"] = ["https://www.w3.org/2018/credentials/v1",
                              "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    credential["issuanceDate"] = credential.pop("validFrom")
    credential["credentialSubject"]["undefinedClaim"] = "meaning nobody signed for"
    result = not_passed(signer.sign(credential))
    assert result["jsonld.terms"] == "failed" and result["proof.signature"] == "skipped"


def test_a_context_outside_the_offline_bundle_makes_the_verdict_indeterminate(signer):
    credential = ob3_credential(signer.did)
    credential["@context"].append("https://contexts.example/unknown/v1")
    result = not_passed(credential | {"proof": signer.sign(ob3_credential(signer.did))["proof"]})
    assert result["jsonld.contexts"] == "indeterminate" and "proof.signature" in result


def test_a_genuine_legacy_ed25519signature2020_proof_over_a_raw_tab_is_accepted(signer):
    credential = ob3_credential(signer.did)
    credential["@context"].append(ED2020_CONTEXT)
    credential["credentialSubject"]["achievement"]["description"] = "Line one\tcolumn two"
    assert not_passed(signer.sign(credential, suite="Ed25519Signature2020", legacy=True)) == {}
    assert not_passed(signer.sign(credential, suite="Ed25519Signature2020")) == {}


def test_eddsa_rdfc_2022_accepts_only_the_rdfc_escaping_of_a_tab(signer):
    credential = ob3_credential(signer.did)
    credential["credentialSubject"]["achievement"]["description"] = "Line one\tcolumn two"
    assert not_passed(signer.sign(credential)) == {}
    assert not_passed(signer.sign(credential, legacy=True)) == {"proof.signature": "failed"}


def test_an_unknown_cryptosuite_is_unsupported_not_failed(signer):
    signed = signer.sign(ob3_credential(signer.did))
    signed["proof"]["cryptosuite"] = "bbs-2023"
    assert not_passed(signed) == {"proof.type": "unsupported", "proof.signature": "skipped"}


def test_a_verification_method_of_an_unsupported_did_method_is_unsupported(signer):
    signed = signer.sign(ob3_credential(signer.did), vm="did:ion:abc#key-1")
    assert not_passed(signed)["issuer.key"] == "unsupported"


def test_a_legacy_ed25519signature2020_proof_is_accepted_even_where_the_escaping_reorders_blank_nodes():
    signer = Signer(seed=bytes(32))  # a fixed issuer: the issuer's DID takes part in the blank-node hashes
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2",
                               ED2020_CONTEXT],
                  "type": ["VerifiableCredential"], "issuer": signer.did,
                  "credentialSubject": {"id": "did:example:2", "items": [{"label": "a\tc"}, {"label": "ac"}]}}
    rdfc = canonical.rdfc(credential)
    assert canonical.urdna2015(credential) != canonical.legacy_escaping(rdfc)  # the labelling really differs
    assert not_passed(signer.sign(credential, suite="Ed25519Signature2020", legacy=True)) == {}
