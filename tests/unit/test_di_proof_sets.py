"""Proof sets and proof chains (VC Data Integrity 1.0 §4.5): every proof must verify, each chained proof over
the document carrying the proofs it names; the issuer must have made one of them.

The published vectors are W3C vc-di-eddsa's `TestVectors/proof-set-chain/` (sources in
tests/fixtures/vectors/vc-di-eddsa/README.md); the other credentials are signed here (tests/support/di_signer.py).
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.verification import canonical, dataintegrity, keys
from tests.support.di_signer import Signer, add_proof, ob3_credential
from tests.support.vector_issuer import ListingIssuer

VECTORS = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-di-eddsa" / "proof-set-chain"
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
VECTOR_ISSUER = "https://vc.example/issuers/5678"


def VectorIssuerControlsItsKeys() -> ListingIssuer:
    """The vectors' issuer, its controller document listing the keys their proofs name."""
    return ListingIssuer(VECTOR_ISSUER)


def vector(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text())


def checks(document: dict, resolver: keys.Resolver | None = None) -> dict[str, tuple[str, str]]:
    result = dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=resolver or keys.Resolver())
    return {c.code: (c.status, c.message) for c in result.checks}


def not_passed(document: dict, resolver: keys.Resolver | None = None) -> dict[str, str]:
    return {code: status for code, (status, _) in checks(document, resolver).items() if status != "passed"}


@pytest.mark.parametrize("name", ["signedProofSet2", "signedProofChain2"])
def test_every_proof_of_the_published_proof_set_and_chain_verifies(name):
    assert not_passed(vector(name), VectorIssuerControlsItsKeys()) == {}


@pytest.mark.parametrize("name", ["signedProofSet2", "signedProofChain2"])
def test_the_published_vectors_are_refused_only_because_their_issuer_does_not_control_the_did_keys(name):
    # The vectors name https://vc.example/issuers/5678 as issuer but sign with did:keys it does not control.
    found = checks(vector(name))
    assert not_passed(vector(name)) == {"issuer.matches_key": "failed"}
    assert "issuer controls the key of none of the" in found["issuer.matches_key"][1]


def test_a_changed_claim_fails_every_proof_of_the_published_chain():
    forged = vector("signedProofChain2")
    forged["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not_passed(forged, VectorIssuerControlsItsKeys()) == {"proof.signature": "failed"}


def test_one_altered_proof_in_the_published_chain_fails_the_credential_and_names_that_proof():
    forged = vector("signedProofChain2")
    forged["proof"][1]["created"] = "2023-02-25T00:00:00Z"
    found = checks(forged, VectorIssuerControlsItsKeys())
    assert found["proof.signature"][0] == "failed"
    assert found["proof.signature"][1].startswith("proof 2 of 4:")


def test_removing_a_proof_that_a_chained_proof_depends_on_fails():
    forged = vector("signedProofChain2")
    del forged["proof"][0]
    found = checks(forged, VectorIssuerControlsItsKeys())
    assert found["proof.signature"] == ("failed", "proof 2 of 3: previousProof names a proof the credential does not carry")


def test_a_chained_proof_whose_previous_proof_was_swapped_for_another_fails():
    forged = vector("signedProofChain2")
    forged["proof"][3]["previousProof"] = forged["proof"][0]["id"]  # it was made over proof 3, not proof 1
    assert not_passed(forged, VectorIssuerControlsItsKeys()) == {"proof.signature": "failed"}


def test_a_chained_proof_lifted_out_of_its_chain_fails():
    chain = vector("signedProofChain2")
    forged = {**chain, "proof": [chain["proof"][3]]}
    found = checks(forged, VectorIssuerControlsItsKeys())
    assert found["proof.signature"] == ("failed", "previousProof names a proof the credential does not carry")


@pytest.fixture(scope="module")
def issuer() -> Signer:
    return Signer()


@pytest.fixture(scope="module")
def cosigner() -> Signer:
    return Signer(curve="P-256")


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_an_issuers_credential_countersigned_by_another_key_verifies(issuer, suite):
    cosigner = Signer()
    secured = add_proof(issuer.sign(ob3_credential(issuer.did), suite=suite), cosigner, suite=suite)
    assert not_passed(secured) == {}
    assert checks(secured)["issuer.matches_key"] == ("passed", "the issuer controls the key of proof 1 of 2")


def test_a_chain_signed_here_across_suites_and_curves_verifies(issuer, cosigner):
    secured = issuer.sign(ob3_credential(issuer.did), id="urn:proof:issuer")
    chained = add_proof(secured, cosigner, suite="ecdsa-rdfc-2019", previous="urn:proof:issuer", id="urn:proof:2")
    assert not_passed(chained) == {}


def test_a_genuine_proof_beside_one_that_does_not_verify_fails_the_credential(issuer):
    attacker = Signer()
    other = attacker.sign(ob3_credential(issuer.did, name="Something else"))["proof"]
    secured = issuer.sign(ob3_credential(issuer.did))
    secured["proof"] = [secured["proof"], other]
    found = checks(secured)
    assert found["proof.signature"][0] == "failed" and found["proof.signature"][1].startswith("proof 2 of 2:")


def test_a_proof_set_none_of_whose_keys_the_issuer_controls_fails(issuer):
    one, two = Signer(), Signer()
    secured = add_proof(one.sign(ob3_credential(issuer.did)), two)
    assert not_passed(secured) == {"issuer.matches_key": "failed"}


def test_a_proof_by_a_key_that_does_not_resolve_fails_the_set(issuer):
    secured = add_proof(issuer.sign(ob3_credential(issuer.did)), Signer(), vm="did:key:z6Mkinvalid#x")
    assert not_passed(secured)["issuer.key"] == "failed"


def test_more_proofs_than_the_bound_are_not_verified_at_all(issuer):
    secured = issuer.sign(ob3_credential(issuer.did))
    secured["proof"] = [copy.deepcopy(secured["proof"]) for _ in range(dataintegrity.MAX_PROOFS + 1)]
    assert not_passed(secured) == {"proof.type": "unsupported"}


@pytest.mark.parametrize("proof", [[], ["not a proof"], [{"type": "DataIntegrityProof"}, 7]])
def test_an_empty_or_malformed_proof_list_fails(issuer, proof):
    assert not_passed({**ob3_credential(issuer.did), "proof": proof}) == {"proof.type": "failed"}


@pytest.mark.parametrize("previous", [7, [], [7]])
def test_a_malformed_previous_proof_fails(issuer, previous):
    secured = issuer.sign(ob3_credential(issuer.did), id="urn:proof:1")
    secured = add_proof(secured, Signer())
    secured["proof"][1]["previousProof"] = previous
    assert not_passed(secured)["proof.signature"] == "failed"


def test_a_proof_set_canonicalises_its_document_once_not_once_per_proof(issuer, monkeypatch):
    secured = issuer.sign(ob3_credential(issuer.did))
    for _ in range(3):
        secured = add_proof(secured, Signer())
    calls, real = [], canonical.rdfc

    def counting(document, *args, **kwargs):
        calls.append(document)
        return real(document, *args, **kwargs)
    monkeypatch.setattr(canonical, "rdfc", counting)
    assert not_passed(secured) == {}
    assert len(calls) == 4 + 1  # each proof's options, and the document once
