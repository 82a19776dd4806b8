"""Published Data Integrity test vectors verify; sources are named in tests/fixtures/vectors/*/README.md."""
from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.verification import canonical, cryptosuites, dataintegrity, keys
from services.verification.report import verdict

VECTORS = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-di-eddsa"
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
ISSUER = "https://vc.example/issuers/5678"
PUBLISHED_KEY = json.loads((VECTORS / "key.json").read_text())["publicKeyMultibase"]


def issuer_document(identifier: str, vm: str) -> keys.Document:
    """The controller document the vectors' issuer would publish at its URL: it lists `vm` for assertionMethod."""
    if identifier != ISSUER:
        raise keys.KeyNotFound("not the vectors' issuer")
    return keys.read_document({"id": ISSUER, "assertionMethod": [vm]}, ISSUER)


class VectorIssuer(keys.Resolver):
    """The vectors' issuer is not resolvable: its one key is the published key, listed for assertionMethod."""

    def resolve(self, vm_id):
        if vm_id != f"{ISSUER}#{PUBLISHED_KEY}":
            raise keys.KeyNotFound("not the vectors' key")
        return keys.Method(id=vm_id, controller=ISSUER, key=keys.multikey(PUBLISHED_KEY),
                           purposes=frozenset({keys.ASSERTION}))

    def document(self, identifier):
        return issuer_document(identifier, f"{ISSUER}#{PUBLISHED_KEY}")


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def statuses(document: dict) -> dict[str, str]:
    result = dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=VectorIssuer())
    return {c.code: c.status for c in result.checks}


@pytest.mark.parametrize("name", ["eddsa-rdfc-2022.json", "ed25519signature2020.json", "eddsa-jcs-2022.json"])
def test_each_published_w3c_eddsa_vector_passes_every_check(name):
    assert set(statuses(load(name)).values()) == {"passed"}


@pytest.mark.parametrize("name", ["eddsa-rdfc-2022.json", "ed25519signature2020.json", "eddsa-jcs-2022.json"])
def test_each_published_vector_fails_its_signature_once_a_claim_is_changed(name):
    forged = copy.deepcopy(load(name))
    forged["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert statuses(forged)["proof.signature"] == "failed"


def test_the_published_jcs_vector_fails_when_its_proof_context_differs_from_the_credentials():
    forged = load("eddsa-jcs-2022.json")
    forged["proof"]["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    assert statuses(forged)["proof.signature"] == "failed"


OB3 = json.loads((VECTORS.parent / "openbadges-3.0" / "linked-data-proof-ob.json").read_text())


def test_the_open_badges_3_spec_vector_hashes_its_published_canonical_forms_to_its_published_data_to_sign():
    data = cryptosuites.hash_data(OB3["proofNormalized"].encode(), OB3["documentNormalized"].encode())
    assert data.hex() == OB3["dataToSignHex"]
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(OB3["publicKeyHex"]))
    assert cryptosuites.SUITES["eddsa-rdfc-2022"].verify(key, bytes.fromhex(OB3["signatureHex"]), data)
    assert cryptosuites.signature_bytes(OB3["signed"]["proof"]["proofValue"]).hex() == OB3["signatureHex"]


def test_the_open_badges_3_spec_vector_needs_a_pre_release_context_so_it_is_indeterminate_not_fetched():
    result = dataintegrity.verify(OB3["signed"], now=NOW, clock_skew_s=60, resolver=keys.Resolver())
    assert {c.code: c.status for c in result.checks}["jsonld.contexts"] == "indeterminate"
    assert verdict(result.checks) == "indeterminate"


ECDSA = json.loads((VECTORS.parent / "vc-di-ecdsa" / "ecdsa-rdfc-2019-p256.json").read_text())


def test_the_published_ecdsa_rdfc_2019_signature_verifies_over_its_published_proof_options_and_our_document_form():
    unsecured = {k: v for k, v in ECDSA["signed"].items() if k != "proof"}
    proof = ECDSA["signed"]["proof"]
    assert hashlib.sha256(ECDSA["proofCanonical"].encode()).hexdigest() == ECDSA["proofHashHex"]
    data = cryptosuites.hash_data(ECDSA["proofCanonical"].encode(), canonical.rdfc(unsecured).encode())
    key = keys.multikey(proof["verificationMethod"].split("#")[1])
    assert cryptosuites.SUITES["ecdsa-rdfc-2019"].verify(key, cryptosuites.signature_bytes(proof["proofValue"]), data)


def test_the_ecdsa_vector_made_under_an_older_context_is_refused_not_accepted_under_todays():
    vm = ECDSA["signed"]["proof"]["verificationMethod"]

    class Issuer(keys.Resolver):
        def resolve(self, vm_id):
            return keys.Method(id=vm, controller=ISSUER, key=keys.multikey(vm.split("#")[1]),
                               purposes=frozenset({keys.ASSERTION}))

        def document(self, identifier):
            return issuer_document(identifier, vm)
    result = dataintegrity.verify(ECDSA["signed"], now=NOW, clock_skew_s=60, resolver=Issuer())
    assert {c.code: c.status for c in result.checks if c.status != "passed"} == {"proof.signature": "failed"}
