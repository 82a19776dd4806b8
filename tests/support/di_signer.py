"""Signs test credentials with Data Integrity proofs (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020,
ecdsa-rdfc-2019), so failure paths can be built from genuine credentials. Published vectors check the
verifier independently of this signer (tests/fixtures/vectors)."""
from __future__ import annotations

import copy
import hashlib

import base58
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import canonical, cryptosuites

ED25519_HEADER, P256_HEADER, P384_HEADER = b"\xed\x01", b"\x80\x24", b"\x81\x24"
_EC = {"P-256": (ec.SECP256R1, P256_HEADER, hashes.SHA256, 32), "P-384": (ec.SECP384R1, P384_HEADER, hashes.SHA384, 48)}


class Signer:
    """An issuer key (Ed25519 by default, or P-256 / P-384) and its did:key."""

    def __init__(self, *, curve: str = "Ed25519", seed: bytes | None = None):
        self.curve = curve
        if curve in _EC:
            self.private = ec.generate_private_key(_EC[curve][0]())
            raw = self.private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
            header = _EC[curve][1]
        else:
            self.private = Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            header = ED25519_HEADER
        self.multikey = "z" + base58.b58encode(header + raw).decode()
        self.did = "did:key:" + self.multikey
        self.vm = f"{self.did}#{self.multikey}"

    def sign(self, document: dict, *, suite: str = "eddsa-rdfc-2022", vm: str | None = None, legacy: bool = False,
             **proof_fields) -> dict:
        """The document with a proof; legacy=True signs the pre-RDFC-1.0 URDNA2015 form (raw tabs)."""
        unsecured = copy.deepcopy(document)
        proof = ({"type": "DataIntegrityProof", "cryptosuite": suite} if suite != "Ed25519Signature2020"
                 else {"type": suite})
        proof.update({"created": "2026-01-01T00:00:00Z", "verificationMethod": vm or self.vm,
                      "proofPurpose": "assertionMethod", **proof_fields})
        options = {**proof, "@context": unsecured["@context"]}
        digest = hashlib.sha384 if self.curve == "P-384" else hashlib.sha256  # ecdsa-rdfc-2019 §3.3: by curve
        data = cryptosuites.hash_data(self._canonical(options, suite, legacy), self._canonical(unsecured, suite, legacy),
                                      digest)
        return {**unsecured, "proof": {**proof, "proofValue": "z" + base58.b58encode(self._sign(data)).decode()}}

    @staticmethod
    def _canonical(document: dict, suite: str, legacy: bool) -> bytes:
        if suite in cryptosuites.JCS_SUITES:
            return canonical.jcs(document)
        return (canonical.urdna2015(document) if legacy else canonical.rdfc(document)).encode()

    def _sign(self, data: bytes) -> bytes:
        if self.curve in _EC:
            _, _, digest, width = _EC[self.curve]
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(digest())))
            return r.to_bytes(width, "big") + s.to_bytes(width, "big")
        return self.private.sign(data)


def ob3_credential(issuer_did: str, **extra) -> dict:
    """An Open Badges 3.0.3 OpenBadgeCredential (VC DM 2.0) by issuer_did."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:2f1a2b43-35b8-4e5e-9b7e-2c4b4d1e6a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Example Academy"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "SQL Fundamentals",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": "ada@example.org", "identityType": "emailAddress",
                            "hashed": False}],
            "achievement": {"id": "urn:uuid:7d0d1f5e-0c6b-4a7e-a1f4-2f0c5b8e9d10", "type": ["Achievement"],
                            "name": "SQL Fundamentals", "description": "Writes correct SQL queries.",
                            "criteria": {"narrative": "Passed the assessed project."}},
        },
        **extra,
    }


def add_proof(secured: dict, signer: Signer, *, previous: str | list[str] | None = None, **proof_fields) -> dict:
    """`secured` with one more proof by `signer` in its proof set; `previous` makes it a chained proof over the
    document carrying the proofs it names (VC Data Integrity 1.0 §4.3 Add Proof Set/Chain)."""
    proofs = secured["proof"] if isinstance(secured["proof"], list) else [secured["proof"]]
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    basis = unsecured
    if previous is not None:
        ids = [previous] if isinstance(previous, str) else previous
        basis = {**unsecured, "proof": [p for p in proofs if p.get("id") in ids]}
        proof_fields["previousProof"] = previous
    proof = signer.sign(basis, **proof_fields)["proof"]
    return {**unsecured, "proof": [*proofs, proof]}
