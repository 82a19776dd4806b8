"""P-384 and P-521 keys: did:key for both, ecdsa-rdfc-2019 / ecdsa-jcs-2019 with P-384 and SHA-384, and ES512
for VC-JWT / JOSE.

Vectors: W3C vc-di-ecdsa `TestVectors/ecdsa-rdfc-2019-p384/`, `ecdsa-jcs-2019-p256/`, `ecdsa-jcs-2019-p384/` and the W3C vc-jose-cose-test-suite's
`tests/input/vm-p384.json` / `vm-p521.json` keys (sources in tests/fixtures/vectors/*/README.md); W3C CCG
did-method-key `test-vectors/nist-curves.json` for the published P-384 did:key.
"""
from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import base58
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import canonical, cryptosuites, dataintegrity, didkey, keys, vcjwt
from tests.support.di_signer import Signer, ob3_credential
from tests.support.vector_issuer import ListingIssuer
from tests.unit.test_verification_didkey import P384_DID

VECTORS = Path(__file__).parents[1] / "fixtures" / "vectors"
ECDSA_P384 = json.loads((VECTORS / "vc-di-ecdsa" / "ecdsa-rdfc-2019-p384.json").read_text())
JOSE = VECTORS / "vc-jose-cose"
CREDENTIAL = json.loads((JOSE / "credential-minimal.json").read_text())
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
VECTOR_ISSUER = "https://vc.example/issuers/5678"


def test_the_published_p384_did_key_decodes_to_a_p384_key():
    assert isinstance(didkey.public_key(P384_DID).curve, ec.SECP384R1)


def test_a_p521_did_key_decodes_to_a_p521_key():
    point = ec.generate_private_key(ec.SECP521R1()).public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    did = "did:key:z" + base58.b58encode(b"\x82\x24" + point).decode()
    assert isinstance(didkey.public_key(did).curve, ec.SECP521R1)


def test_an_unsupported_did_key_type_names_every_type_that_is_supported():
    secp256k1 = "did:key:z" + base58.b58encode(b"\xe7\x01" + b"\x02" + bytes(32)).decode()
    with pytest.raises(didkey.UnsupportedKey) as caught:
        didkey.public_key(secp256k1)
    assert str(caught.value) == ("did:key keys of type secp256k1-pub are not supported yet; "
                                 "only ed25519-pub, p256-pub, p384-pub, p521-pub")


# --- ecdsa-rdfc-2019 with P-384 ----------------------------------------------------------------

def VectorIssuer() -> ListingIssuer:
    """The vectors' issuer, its controller document listing the keys their proofs name."""
    return ListingIssuer(VECTOR_ISSUER)


def not_passed(document: dict, resolver: keys.Resolver) -> dict[str, str]:
    result = dataintegrity.verify(document, now=NOW, clock_skew_s=60, resolver=resolver)
    return {c.code: c.status for c in result.checks if c.status != "passed"}


def test_the_published_p384_vector_hashes_its_canonical_forms_with_sha384_to_its_published_hashes():
    unsecured = {k: v for k, v in ECDSA_P384["signed"].items() if k != "proof"}
    assert canonical.rdfc(unsecured) == ECDSA_P384["documentCanonical"]
    assert hashlib.sha384(ECDSA_P384["documentCanonical"].encode()).hexdigest() == ECDSA_P384["documentHashHex"]
    assert hashlib.sha384(ECDSA_P384["proofCanonical"].encode()).hexdigest() == ECDSA_P384["proofHashHex"]
    proof_value = ECDSA_P384["signed"]["proof"]["proofValue"]
    assert cryptosuites.signature_bytes(proof_value).hex() == ECDSA_P384["signatureHex"]


def test_the_published_ecdsa_rdfc_2019_p384_credential_passes_every_check():
    assert not_passed(ECDSA_P384["signed"], VectorIssuer()) == {}


def test_the_published_p384_credential_is_refused_only_because_its_issuer_does_not_control_the_did_key():
    assert not_passed(ECDSA_P384["signed"], keys.Resolver()) == {"issuer.matches_key": "failed"}


def test_the_published_p384_credential_with_a_changed_claim_fails_its_signature():
    forged = copy.deepcopy(ECDSA_P384["signed"])
    forged["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not_passed(forged, VectorIssuer()) == {"proof.signature": "failed"}


def test_a_p384_signature_over_sha256_hashes_is_refused():
    signer = Signer(curve="P-384")
    secured = signer.sign(ob3_credential(signer.did), suite="ecdsa-rdfc-2019")
    signature = cryptosuites.signature_bytes(secured["proof"]["proofValue"])
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    options = {**{k: v for k, v in secured["proof"].items() if k != "proofValue"}, "@context": unsecured["@context"]}
    sha256_data = cryptosuites.hash_data(canonical.rdfc(options).encode(), canonical.rdfc(unsecured).encode())
    key = didkey.public_key(signer.did)
    assert not cryptosuites.SUITES["ecdsa-rdfc-2019"].verify(key, signature, sha256_data)
    assert not_passed(secured, keys.Resolver()) == {}


# --- ES512 (and ES384) VC-JOSE-COSE with the suite's keys ---------------------------------------

def suite_key(name: str) -> dict:
    return json.loads((JOSE / name).read_text())


class SuiteIssuer(keys.Resolver):
    """The suite's issuer publishes its verification method out of band: here it serves, at its controller URL,
    the controlled identifier document that lists the suite's key under assertionMethod."""

    def __init__(self, vm: dict):
        controller = vm["controller"]
        published = {"id": controller, "assertionMethod": [vm["id"]],
                     "verificationMethod": [{"id": vm["id"], "type": "JsonWebKey", "controller": controller,
                                             "publicKeyJwk": vm["publicKeyJwk"]}]}

        def fetch(url: str) -> bytes:
            if url != controller:
                raise keys.KeyNotFound("not the suite's controller document")
            return json.dumps(published).encode()

        super().__init__(fetch=fetch)


def issue(vm: dict, alg: str, payload: dict) -> str:
    private = pyjwt.algorithms.ECAlgorithm.from_jwk(json.dumps(vm["secretKeyJwk"]))
    return pyjwt.encode(payload, private, algorithm=alg, headers={"kid": vm["id"], "typ": "vc+jwt", "cty": "vc"})


def jose_not_passed(token: str, vm: dict) -> dict[str, str]:
    result = vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=SuiteIssuer(vm))
    return {c.code: c.status for c in result.checks if c.status != "passed"}


@pytest.mark.parametrize("name, alg", [("vm-p521.json", "ES512"), ("vm-p384.json", "ES384")])
def test_the_suites_credential_secured_with_its_key_verifies(name, alg):
    vm = suite_key(name)
    credential = {**CREDENTIAL, "issuer": vm["controller"]}
    assert jose_not_passed(issue(vm, alg, credential), vm) == {}


def test_an_es512_credential_whose_claim_was_changed_fails_its_signature():
    vm = suite_key("vm-p521.json")
    header, _, signature = issue(vm, "ES512", {**CREDENTIAL, "issuer": vm["controller"]}).split(".")
    forged = issue(vm, "ES512", {**CREDENTIAL, "issuer": vm["controller"], "name": "Forged"}).split(".")[1]
    assert jose_not_passed(f"{header}.{forged}.{signature}", vm) == {"proof.signature": "failed"}


def test_an_es512_header_over_a_p384_key_fails_rather_than_verifying():
    p384, p521 = suite_key("vm-p384.json"), suite_key("vm-p521.json")
    token = issue(p521, "ES512", {**CREDENTIAL, "issuer": p384["controller"]})
    header = {"kid": p384["id"]}
    swapped = pyjwt.api_jws.base64url_encode(json.dumps({**pyjwt.get_unverified_header(token), **header}).encode())
    forged = swapped.decode() + "." + token.split(".", 1)[1]
    assert jose_not_passed(forged, p384) == {"proof.signature": "failed"}


# --- ecdsa-jcs-2019 (P-256 and P-384) -----------------------------------------------------------

@pytest.mark.parametrize("curve", ["p256", "p384"])
def test_the_published_ecdsa_jcs_2019_credentials_pass_every_check(curve):
    secured = json.loads((VECTORS / "vc-di-ecdsa" / f"ecdsa-jcs-2019-{curve}.json").read_text())
    assert not_passed(secured, VectorIssuer()) == {}
    forged = copy.deepcopy(secured)
    forged["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not_passed(forged, VectorIssuer()) == {"proof.signature": "failed"}


@pytest.mark.parametrize("curve", ["P-256", "P-384"])
def test_an_open_badge_signed_with_ecdsa_jcs_2019_here_verifies(curve):
    signer = Signer(curve=curve)
    assert not_passed(signer.sign(ob3_credential(signer.did), suite="ecdsa-jcs-2019"), keys.Resolver()) == {}
