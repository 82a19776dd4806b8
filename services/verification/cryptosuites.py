"""Data Integrity cryptosuites: how each proof type turns a document and proof options into signed bytes.

Sources: VC Data Integrity EdDSA Cryptosuites 1.0 §3.3 (eddsa-rdfc-2022), §3.4 (eddsa-jcs-2022),
§3.2 / Ed25519Signature2020 (URDNA2015-era suite, same hashing); VC Data Integrity ECDSA
Cryptosuites 1.0 §3.3 (ecdsa-rdfc-2019, P-256 with SHA-256); each suite's "Hashing" step:
hashData = SHA-256(canonical proof options) || SHA-256(canonical document).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from services.verification import canonical


class BadProofValue(ValueError):
    """proofValue is not a base58-btc multibase signature of the right length."""


@dataclass(frozen=True)
class Suite:
    name: str
    canonicalise: Callable[[dict], list[bytes]]  # the canonical forms tried, genuine variants only
    key_type: type
    verify: Callable[[object, bytes, bytes], bool]


def _rdfc(document: dict) -> list[bytes]:
    return [canonical.rdfc(document).encode()]


def _rdfc_or_legacy(document: dict) -> list[bytes]:
    # Ed25519Signature2020 proofs from the JavaScript libraries were made with URDNA2015's escaping
    # (a raw tab where RDFC-1.0 writes \t); both are genuine canonical forms of the same data.
    rdfc = canonical.rdfc(document)
    if canonical.legacy_escaping(rdfc) == rdfc:
        return [rdfc.encode()]  # no control characters: one canonical form
    return [rdfc.encode(), canonical.urdna2015(document).encode()]


def _jcs(document: dict) -> list[bytes]:
    return [canonical.jcs(document)]


def _ed25519(key: Any, signature: bytes, data: bytes) -> bool:  # key: the suite's key_type, checked by the caller
    if len(signature) != 64:
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _p256(key: Any, signature: bytes, data: bytes) -> bool:
    # ecdsa-rdfc-2019 §3.3.7: the signature is r || s, 32 bytes each, not DER.
    if len(signature) != 64 or not isinstance(key.curve, ec.SECP256R1):
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


SUITES = {
    "eddsa-rdfc-2022": Suite("eddsa-rdfc-2022", _rdfc, ed25519.Ed25519PublicKey, _ed25519),
    "eddsa-jcs-2022": Suite("eddsa-jcs-2022", _jcs, ed25519.Ed25519PublicKey, _ed25519),
    "ecdsa-rdfc-2019": Suite("ecdsa-rdfc-2019", _rdfc, ec.EllipticCurvePublicKey, _p256),
    "Ed25519Signature2020": Suite("Ed25519Signature2020", _rdfc_or_legacy, ed25519.Ed25519PublicKey, _ed25519),
}
JCS_SUITES = ("eddsa-jcs-2022",)


def suite_name(proof: dict) -> str | None:
    """'eddsa-rdfc-2022' etc. for a DataIntegrityProof, or the legacy proof type itself."""
    if proof.get("type") == "DataIntegrityProof":
        name = proof.get("cryptosuite")
        return name if isinstance(name, str) else None
    kind = proof.get("type")
    return kind if isinstance(kind, str) else None


def signature_bytes(proof_value: object) -> bytes:
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        raise BadProofValue("proofValue is not base58-btc multibase (it must start with 'z')")
    try:
        return base58.b58decode(proof_value[1:])
    except ValueError:
        raise BadProofValue("proofValue is not base58-btc") from None


def hash_data(options: bytes, document: bytes) -> bytes:
    return hashlib.sha256(options).digest() + hashlib.sha256(document).digest()


def verify(suite: Suite, *, key: object, signature: bytes, options: dict, document: dict) -> bool:
    """True when the signature covers one genuine canonical form of (options, document)."""
    option_forms, document_forms = suite.canonicalise(options), suite.canonicalise(document)
    # A legacy form is only ever paired with the legacy form of the other half.
    pairs = list(zip(option_forms, document_forms, strict=True)) if len(option_forms) == len(document_forms) else \
        [(o, d) for o in option_forms for d in document_forms]
    return any(suite.verify(key, signature, hash_data(o, d)) for o, d in pairs)
