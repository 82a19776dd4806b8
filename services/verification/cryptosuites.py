"""Data Integrity cryptosuites: how each proof type turns a document and proof options into signed bytes.

Sources: VC Data Integrity EdDSA Cryptosuites 1.0 §3.3 (eddsa-rdfc-2022), §3.4 (eddsa-jcs-2022),
§3.2 / Ed25519Signature2020 (URDNA2015-era suite, same hashing); VC Data Integrity ECDSA
Cryptosuites 1.0 §3.3 (ecdsa-rdfc-2019: P-256 with SHA-256, P-384 with SHA-384, for the hashing and
the signature alike) and §3.4 (ecdsa-jcs-2019: the same over JCS forms); each suite's "Hashing" step:
hashData = H(canonical proof options) || H(canonical document), H = SHA-256 unless the key says otherwise.
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
    digest: Callable[[object], Callable] = lambda key: hashlib.sha256  # the hash of the "Hashing" step, by key


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


# ecdsa-rdfc-2019 §3.3: the curves it signs with, each with its hash and its width of r and of s.
_ECDSA_CURVES: dict[type, tuple[Callable, Callable, int]] = {
    ec.SECP256R1: (hashlib.sha256, hashes.SHA256, 32),
    ec.SECP384R1: (hashlib.sha384, hashes.SHA384, 48),
}


def _ecdsa(key: Any, signature: bytes, data: bytes) -> bool:
    # ecdsa-rdfc-2019 §3.3.7: the signature is r || s, fixed width each, not DER.
    curve = _ECDSA_CURVES.get(type(key.curve))
    if curve is None or len(signature) != 2 * curve[2]:
        return False
    width = curve[2]
    der = encode_dss_signature(int.from_bytes(signature[:width], "big"), int.from_bytes(signature[width:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(curve[1]()))
    except InvalidSignature:
        return False
    return True


def _ecdsa_digest(key: object) -> Callable[..., Any]:
    curve = _ECDSA_CURVES.get(type(getattr(key, "curve", None)))
    return curve[0] if curve else hashlib.sha256


SUITES = {
    "eddsa-rdfc-2022": Suite("eddsa-rdfc-2022", _rdfc, ed25519.Ed25519PublicKey, _ed25519),
    "eddsa-jcs-2022": Suite("eddsa-jcs-2022", _jcs, ed25519.Ed25519PublicKey, _ed25519),
    "ecdsa-rdfc-2019": Suite("ecdsa-rdfc-2019", _rdfc, ec.EllipticCurvePublicKey, _ecdsa, _ecdsa_digest),
    "ecdsa-jcs-2019": Suite("ecdsa-jcs-2019", _jcs, ec.EllipticCurvePublicKey, _ecdsa, _ecdsa_digest),
    "Ed25519Signature2020": Suite("Ed25519Signature2020", _rdfc_or_legacy, ed25519.Ed25519PublicKey, _ed25519),
}
JCS_SUITES = ("eddsa-jcs-2022", "ecdsa-jcs-2019")


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


def hash_data(options: bytes, document: bytes, digest: Callable[..., Any] = hashlib.sha256) -> bytes:
    joined: bytes = digest(options).digest() + digest(document).digest()
    return joined


def verify(suite: Suite, *, key: object, signature: bytes, options: dict, document: dict,
           forms: dict[str, list[bytes]] | None = None) -> bool:
    """True when the signature covers one genuine canonical form of (options, document).

    `forms`, when given, holds this very document's canonical forms by suite name: the proofs of one set
    share them, so a set of N proofs canonicalises its document once per suite, not N times.
    """
    option_forms = suite.canonicalise(options)
    document_forms = forms[suite.name] if forms is not None and suite.name in forms else suite.canonicalise(document)
    if forms is not None:
        forms[suite.name] = document_forms
    # A legacy form is only ever paired with the legacy form of the other half.
    pairs = list(zip(option_forms, document_forms, strict=True)) if len(option_forms) == len(document_forms) else \
        [(o, d) for o in option_forms for d in document_forms]
    digest = suite.digest(key)
    return any(suite.verify(key, signature, hash_data(o, d, digest)) for o, d in pairs)
