"""Hostile Data Integrity credentials (RDFC-1.0 §7.1 poison datasets, JSON-LD documents of very many objects),
built for the tests and for bench/hostile_credentials.py."""
from __future__ import annotations

import base58

from tests.support.di_signer import Signer, ob3_credential

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


def many_identifiers(count: int) -> dict:
    document = ob3_credential(SIGNER.did)
    document["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityHash": f"user{n}@example.org", "identityType": "emailAddress",
         "hashed": False} for n in range(count)]
    return {**document, "proof": clique_credential(1)["proof"]}
