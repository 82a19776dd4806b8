"""A credential built to make RDFC-1.0 run for minutes (a poison dataset, RDFC-1.0 §7.1) is judged in milliseconds,
as indeterminate, while credentials with a few look-alike blank nodes still verify."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import base58
import pytest

from services.verification import canonical, rdfc_budget
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
SIGNER = Signer(seed=bytes([9]) * 32)
KNOWS = {"knows": {"@id": "https://example.org/knows", "@type": "@id"}}


def clique_credential(nodes: int) -> dict:
    """An OB 3.0 credential whose subject knows `nodes` blank nodes that all know each other and look alike.

    Signing it would take as long as verifying it, so it carries a well-formed signature that is simply wrong:
    before the budget the verifier canonicalised it (for minutes at nine nodes) only to say "failed".
    """
    document = ob3_credential(SIGNER.did)
    document["@context"] = [*document["@context"], KNOWS]
    ids = [f"_:n{i}" for i in range(nodes)]
    document["credentialSubject"]["knows"] = [{"id": node, "knows": [other for other in ids if other != node]}
                                              for node in ids]
    document["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                         "created": "2026-01-01T00:00:00Z", "verificationMethod": SIGNER.vm,
                         "proofPurpose": "assertionMethod", "proofValue": "z" + base58.b58encode(bytes(64)).decode()}
    return document


def checks(report: dict) -> dict[str, str]:
    return {check["code"]: check["status"] for check in report["checks"]}


@pytest.mark.parametrize("nodes", [8, 40])
def test_a_credential_whose_blank_nodes_form_a_clique_is_indeterminate_within_a_second(nodes):
    started = time.perf_counter()
    report = verify_credential(document=clique_credential(nodes), now=NOW, settings=Settings())
    elapsed = time.perf_counter() - started
    assert report["verdict"] == "indeterminate" and checks(report)["canonical.budget"] == "indeterminate"
    assert elapsed < 1.0, f"took {elapsed:.1f} s"


def test_the_report_says_why_the_signature_was_not_checked():
    report = verify_credential(document=clique_credential(8), now=NOW, settings=Settings())
    message = next(c["message"] for c in report["checks"] if c["code"] == "canonical.budget")
    assert "Hash N-Degree Quads" in message and "not checked" in message


def test_a_credential_with_a_few_look_alike_blank_nodes_still_verifies():
    document = ob3_credential(SIGNER.did)
    twin = {"type": "IdentityObject", "identityHash": "ada@example.org", "identityType": "emailAddress",
            "hashed": False}
    document["credentialSubject"]["identifier"] = [dict(twin), dict(twin), dict(twin)]
    report = verify_credential(document=SIGNER.sign(document), now=NOW, settings=Settings())
    assert report["verdict"] == "verified", [c for c in report["checks"] if c["status"] != "passed"]


def test_a_clique_of_five_look_alike_nodes_is_still_canonicalised():
    canonical.rdfc({k: v for k, v in clique_credential(5).items() if k != "proof"})


@pytest.mark.parametrize("engine", canonical.ENGINES)
def test_both_engines_refuse_a_poison_dataset_before_canonicalising_it(engine):
    started = time.perf_counter()
    with pytest.raises(canonical.TooComplex):
        canonical.rdfc({k: v for k, v in clique_credential(9).items() if k != "proof"}, engine=engine)
    assert time.perf_counter() - started < 1.0


def test_the_legacy_urdna2015_form_is_refused_too():
    with pytest.raises(canonical.TooComplex):
        canonical.urdna2015({k: v for k, v in clique_credential(9).items() if k != "proof"})


def test_more_blank_nodes_than_the_limit_are_refused_however_plain_they_are():
    quads = [(f"_:b{i}", "<https://example.org/p>", f'"{i}"', "") for i in range(rdfc_budget.MAX_BLANK_NODES + 1)]
    with pytest.raises(rdfc_budget.TooComplex, match="blank nodes"):
        rdfc_budget.check(quads)
    rdfc_budget.check(quads[:-1])


def test_a_long_ring_of_look_alike_blank_nodes_is_refused_without_exhausting_the_stack():
    ring = [(f"_:n{i}", "<https://example.org/next>", f"_:n{(i + 1) % 900}", "") for i in range(900)]
    with pytest.raises(rdfc_budget.TooComplex):
        rdfc_budget.check(ring)


def test_blank_nodes_with_unique_first_degree_hashes_cost_no_walk_at_all():
    chain = [(f"_:n{i}", "<https://example.org/next>", f"_:n{i + 1}", "") for i in range(500)]
    labelled = chain + [(f"_:n{i}", "<https://example.org/label>", f'"{i}"', "") for i in range(501)]
    rdfc_budget.check(labelled, max_steps=0)


def many_identifiers(count: int) -> dict:
    document = ob3_credential(SIGNER.did)
    document["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityHash": f"user{n}@example.org", "identityType": "emailAddress",
         "hashed": False} for n in range(count)]
    return {**document, "proof": clique_credential(1)["proof"]}


def test_a_credential_of_more_json_objects_than_the_limit_is_indeterminate_before_any_json_ld_processing():
    started = time.perf_counter()
    report = verify_credential(document=many_identifiers(3000), now=NOW, settings=Settings())
    assert report["verdict"] == "indeterminate" and checks(report)["canonical.budget"] == "indeterminate"
    assert time.perf_counter() - started < 0.5  # pyld took about 2 s over it


def test_a_credential_just_under_the_object_limit_is_still_read_in_under_a_second():
    started = time.perf_counter()
    report = verify_credential(document=many_identifiers(rdfc_budget.MAX_OBJECTS - 10), now=NOW, settings=Settings())
    assert checks(report)["proof.signature"] == "failed"  # read to the end: the signature is simply wrong
    assert time.perf_counter() - started < 1.0
