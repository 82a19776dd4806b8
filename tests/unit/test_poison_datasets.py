"""A credential built to make RDFC-1.0 run for minutes (a poison dataset, RDFC-1.0 §7.1) is judged in milliseconds,
as indeterminate, while credentials with a few look-alike blank nodes still verify."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.verification import canonical, rdfc_budget
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.di_signer import ob3_credential
from tests.support.poison import SIGNER, clique_credential, many_identifiers

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def checks(report: dict) -> dict[str, str]:
    return {check["code"]: check["status"] for check in report["checks"]}


@pytest.mark.parametrize("nodes", [8, 40])
def test_a_credential_whose_blank_nodes_form_a_clique_is_indeterminate_before_it_is_canonicalised(nodes):
    # Before the budget, eight nodes took ~5 s to come out "failed"; bench/hostile_credentials.py prints the times.
    report = verify_credential(document=clique_credential(nodes), now=NOW, settings=Settings())
    assert report["verdict"] == "indeterminate" and checks(report)["canonical.budget"] == "indeterminate"


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
    with pytest.raises(canonical.TooComplex):
        canonical.rdfc({k: v for k, v in clique_credential(9).items() if k != "proof"}, engine=engine)


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


def test_a_credential_of_more_json_objects_than_the_limit_is_indeterminate_before_any_json_ld_processing():
    report = verify_credential(document=many_identifiers(3000), now=NOW, settings=Settings())
    assert report["verdict"] == "indeterminate" and checks(report)["canonical.budget"] == "indeterminate"


def test_a_credential_just_under_the_object_limit_is_still_read():
    report = verify_credential(document=many_identifiers(rdfc_budget.MAX_OBJECTS - 10), now=NOW, settings=Settings())
    assert checks(report)["proof.signature"] == "failed"  # read to the end: the signature is simply wrong
