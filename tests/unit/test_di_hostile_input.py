"""Malformed and hostile Data Integrity credentials become failed or indeterminate reports, never exceptions."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
SIGNER = Signer(seed=bytes([7]) * 32)
GOOD = SIGNER.sign(ob3_credential(SIGNER.did))


def deep(levels: int) -> dict:
    node: dict = {}
    root = node
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


MUTATIONS = {
    "context is a number": lambda d: d.update({"@context": 5}),
    "context imports a relative IRI": lambda d: d.update({"@context": [None, {"@import": "x"}]}),
    "context names an unknown JSON-LD version": lambda d: d.update(
        {"@context": ["https://www.w3.org/ns/credentials/v2", {"@version": 9}]}),
    "node id is a number": lambda d: d["credentialSubject"].update({"@id": 5}),
    "type is a number": lambda d: d["credentialSubject"].update({"type": 7}),
    "proof fields of the wrong types": lambda d: d["proof"].update({"verificationMethod": 5, "proofValue": 3}),
    "created is a number": lambda d: d["proof"].update({"created": 12}),
    "proofValue is not base58": lambda d: d["proof"].update({"proofValue": "z0OIl"}),
    "subject is nested lists": lambda d: d.update({"credentialSubject": [[[[]]]]}),
    "issuer id is a list": lambda d: d.update({"issuer": {"id": ["a"]}}),
    "nesting 3000 deep": lambda d: d["credentialSubject"].update({"deep": deep(3000)}),
    "proof context differs": lambda d: d["proof"].update({"@context": 7}),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_malformed_data_integrity_credential_gets_a_report_that_is_not_verified(name):
    document = copy.deepcopy(GOOD)
    MUTATIONS[name](document)
    report = verify_credential(document=document, now=NOW, settings=Settings())
    assert report["verdict"] in ("failed", "indeterminate", "unsupported")


def test_the_unmutated_credential_is_verified_so_the_mutations_are_what_fail():
    report = verify_credential(document=copy.deepcopy(GOOD), now=NOW, settings=Settings())
    assert report["verdict"] == "verified", [c for c in report["checks"] if c["status"] != "passed"]
