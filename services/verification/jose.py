"""JWS signature algorithms a credential may use: which key type each needs, and verifying with it.

Sources: RFC 7518 §3.1 (alg names), §3.3 (RS256: RSASSA-PKCS1-v1_5 with SHA-256), §3.4 (ES256 /
ES384 / ES512 on P-256 / P-384 / P-521: the signature is R || S, fixed width (32, 48, 66 bytes), not DER); RFC 8037 §3.1 (EdDSA with Ed25519);
Open Badges 3.0 §8.2.3 (RS256 must be supported; others may be).
"""
from __future__ import annotations

from typing import Any, Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# alg -> (key kind named in messages, key check, verify(key, signature, data) -> None or raise)
# A verify function's key is Any: it is only called with a key its check accepted.
Verify = Callable[[Any, bytes, bytes], None]
SYMMETRIC = ("HS256", "HS384", "HS512")


def _ec(curve: type[ec.EllipticCurve], size: int,
        digest: Callable[[], hashes.HashAlgorithm]) -> tuple[Callable[[object], bool], Verify]:
    def check(key: object) -> bool:
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curve)

    def verify(key: Any, signature: bytes, data: bytes) -> None:
        if len(signature) != 2 * size:
            raise InvalidSignature()
        der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
        key.verify(der, data, ec.ECDSA(digest()))
    return check, verify


def _ed25519_verify(key: Any, signature: bytes, data: bytes) -> None:
    key.verify(signature, data)


def _rs256_verify(key: Any, signature: bytes, data: bytes) -> None:
    key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


_ES256 = _ec(ec.SECP256R1, 32, hashes.SHA256)
_ES384 = _ec(ec.SECP384R1, 48, hashes.SHA384)
_ES512 = _ec(ec.SECP521R1, 66, hashes.SHA512)
ALGS: dict[str, tuple[str, Callable[[object], bool], Verify]] = {
    "EdDSA": ("an Ed25519", lambda key: isinstance(key, ed25519.Ed25519PublicKey), _ed25519_verify),
    "ES256": ("a P-256", _ES256[0], _ES256[1]),
    "ES384": ("a P-384", _ES384[0], _ES384[1]),
    "ES512": ("a P-521", _ES512[0], _ES512[1]),
    "RS256": ("an RSA", lambda key: isinstance(key, rsa.RSAPublicKey), _rs256_verify),
}


def suits(alg: str, key: object) -> bool:
    return alg in ALGS and ALGS[alg][1](key)


def key_kind(alg: str) -> str:
    return ALGS[alg][0]


def verifies(alg: str, key: object, signature: bytes, data: bytes) -> bool:
    try:
        ALGS[alg][2](key, signature, data)
    except InvalidSignature:
        return False
    return True
