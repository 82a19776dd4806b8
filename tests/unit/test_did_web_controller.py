"""A did:web document speaks only for its own DID: a verification method it lists is controlled by that DID.

Controlled Identifiers v1.0, "Retrieve Verification Method": the method is dereferenced from the document of
the DID its id names, and its `controller` must be that document's id. A document that declares another DID
as the controller of a key it publishes (an attacker's did:web naming a university's DID) must not make the
attacker's key the university's: otherwise anyone with a web host could issue credentials in any issuer's name.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.verification import dataintegrity, keys, vcjwt
from tests.support.di_signer import Signer, ob3_credential
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
MALLORY, UNIVERSITY = "did:web:mallory.example", "did:web:university.example"


def did_document(did: str, *, key: str, controller: str) -> dict:
    vm = f"{did}#key-1"
    return {"@context": ["https://www.w3.org/ns/did/v1"], "id": did, "assertionMethod": [vm],
            "verificationMethod": [{"id": vm, "type": "Multikey", "controller": controller,
                                    "publicKeyMultibase": key}]}


def resolver(*documents: dict) -> keys.Resolver:
    by_url = {keys.did_web_url(d["id"]): json.dumps(d).encode() for d in documents}

    def fetch(url: str) -> bytes:
        if url not in by_url:
            raise keys.KeyNotFound("the document is not there (HTTP 404)")
        return by_url[url]
    return keys.Resolver(fetch=fetch)


def statuses(result) -> dict[str, str]:
    return {c.code: c.status for c in result.checks}


@pytest.fixture(scope="module")
def mallory() -> Signer:
    return Signer()


def test_a_data_integrity_proof_by_a_key_whose_did_document_claims_another_controller_is_not_the_issuers(mallory):
    document = did_document(MALLORY, key=mallory.multikey, controller=UNIVERSITY)
    forged = mallory.sign(ob3_credential(UNIVERSITY), vm=f"{MALLORY}#key-1")
    result = dataintegrity.verify(forged, now=NOW, clock_skew_s=60, resolver=resolver(document))
    assert statuses(result)["issuer.matches_key"] == "failed"


def test_a_vc_jwt_signed_by_a_key_whose_did_document_claims_another_controller_is_not_the_issuers():
    mallory = Issuer.generate(name="Mallory")
    document = did_document(MALLORY, key=mallory.did.removeprefix("did:key:"), controller=UNIVERSITY)
    token = mallory.sign(mallory.claims(issuer_override=UNIVERSITY), header={"kid": f"{MALLORY}#key-1"})
    result = vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=resolver(document))
    assert statuses(result)["issuer.matches_key"] == "failed"


def test_a_did_web_issuers_own_key_still_verifies_its_credential():
    issuer = Signer()
    document = did_document(UNIVERSITY, key=issuer.multikey, controller=UNIVERSITY)
    signed = issuer.sign(ob3_credential(UNIVERSITY), vm=f"{UNIVERSITY}#key-1")
    result = dataintegrity.verify(signed, now=NOW, clock_skew_s=60, resolver=resolver(document))
    assert {code: s for code, s in statuses(result).items() if s != "passed"} == {}


def test_the_claimed_controllers_own_document_must_list_the_key_for_it_to_count(mallory):
    # The university publishes its document (with its own key): Mallory's claim is checked against it and fails.
    university = Signer()
    mine = did_document(MALLORY, key=mallory.multikey, controller=UNIVERSITY)
    theirs = did_document(UNIVERSITY, key=university.multikey, controller=UNIVERSITY)
    forged = mallory.sign(ob3_credential(UNIVERSITY), vm=f"{MALLORY}#key-1")
    result = dataintegrity.verify(forged, now=NOW, clock_skew_s=60, resolver=resolver(mine, theirs))
    assert statuses(result)["issuer.matches_key"] == "failed"
