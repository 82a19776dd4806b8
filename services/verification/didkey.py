"""did:key resolution without I/O: a did:key (or did:key URL) to the public key it encodes.

Follows the W3C CCG "The did:key Method v0.7" (https://w3c-ccg.github.io/did-method-key/):
§2 format `did:key:<mb-value>`, §3.1.3 Decode Public Key Algorithm (multibase base58-btc, then an
unsigned-varint multicodec header), §3.1.2 key-length table. Ed25519, P-256, P-384 and P-521 keys are
usable; every other key type the table knows raises UnsupportedKey so the report says "unsupported".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "did:key:"
ED25519_PUB = 0xED

# multicodec code -> (name, raw public key length or None when variable); did:key §3.1.2.
_CODECS: dict[int, tuple[str, int | None]] = {
    0xED: ("ed25519-pub", 32),
    0xEC: ("x25519-pub", 32),
    0xE7: ("secp256k1-pub", 33),
    0xEB: ("bls12_381-g2-pub", 96),
    0x1200: ("p256-pub", 33),
    0x1201: ("p384-pub", 49),
    0x1202: ("p521-pub", 67),
    0x1205: ("rsa-pub", None),
}
# did:key §2: the method-specific id is a base58-btc multibase value ('z' header).
_MB_VALUE = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")
_MAX_VARINT_BYTES = 9  # multiformats unsigned-varint: at most 9 bytes (63 bits)


class InvalidDidKey(ValueError):
    """The identifier is not a well-formed did:key: the signature can never be checked with it."""


class UnsupportedKey(Exception):
    """A well-formed did:key whose key type this service cannot use yet (P-256, secp256k1, ...)."""

    def __init__(self, codec_name: str, *, usable: tuple[int, ...] | None = None):
        names = ", ".join(_CODECS[code][0] for code in (usable or (ED25519_PUB, *_EC_CURVES)))
        super().__init__(f"did:key keys of type {codec_name} are not supported yet; only {names}")
        self.codec_name = codec_name


@dataclass(frozen=True)
class DecodedKey:
    codec: int
    codec_name: str
    raw: bytes


def split_did_url(did_url: str) -> tuple[str, str | None]:
    """('did:key:z…', 'z…' or None) from a DID URL; a query or path is not part of a did:key URL."""
    did, sep, fragment = did_url.partition("#")
    return did, (fragment if sep else None)


def decode(did: str) -> DecodedKey:
    """did:key §3.1.3 Decode Public Key Algorithm, with the §3.1.2 length check."""
    if not did.startswith(PREFIX):
        raise InvalidDidKey("not a did:key identifier")
    mb_value = did[len(PREFIX):]
    if not _MB_VALUE.fullmatch(mb_value):
        raise InvalidDidKey("the did:key value is not base58-btc multibase (it must start with 'z')")
    data = base58.b58decode(mb_value[1:])
    codec, offset = _read_uvarint(data)
    if codec not in _CODECS:
        raise InvalidDidKey(f"the did:key names an unknown multicodec 0x{codec:x}")
    name, length = _CODECS[codec]
    raw = data[offset:]
    if length is not None and len(raw) != length:
        raise InvalidDidKey(f"a {name} key is {length} bytes, this one is {len(raw)}")
    return DecodedKey(codec=codec, codec_name=name, raw=raw)


def ed25519_key(did_url: str) -> Ed25519PublicKey:
    """The Ed25519 key a did:key (or a did:key URL naming its key) encodes.

    A did:key document has exactly one signing verification method, `<did>#<mb-value>`
    (§3.1.1 Document Creation Algorithm), so any other fragment names no key of this DID.
    """
    did, fragment = split_did_url(did_url)
    if fragment is not None and fragment != did[len(PREFIX):]:
        raise InvalidDidKey("the key fragment does not name the did:key's own key")
    key = decode(did)
    if key.codec != ED25519_PUB:
        raise UnsupportedKey(key.codec_name, usable=(ED25519_PUB,))
    return Ed25519PublicKey.from_public_bytes(key.raw)


def _read_uvarint(data: bytes) -> tuple[int, int]:
    """(value, bytes consumed) of a multiformats unsigned varint; rejects over-long and non-minimal forms."""
    value = 0
    for i, byte in enumerate(data[:_MAX_VARINT_BYTES]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise InvalidDidKey("the multicodec header is not minimally encoded")
            return value, i + 1
    raise InvalidDidKey("the did:key has no complete multicodec header")


P256_PUB = 0x1200
# multicodec -> curve of the compressed NIST points did:key carries (SEC 1 §2.3.3: 0x02/0x03 || x).
_EC_CURVES: dict[int, type[ec.EllipticCurve]] = {P256_PUB: ec.SECP256R1, 0x1201: ec.SECP384R1, 0x1202: ec.SECP521R1}


def public_key(did_url: str):
    """The Ed25519 or P-256 / P-384 / P-521 key a did:key (URL) encodes; UnsupportedKey for other key types."""
    did, fragment = split_did_url(did_url)
    if fragment is not None and fragment != did[len(PREFIX):]:
        raise InvalidDidKey("the key fragment does not name the did:key's own key")
    key = decode(did)
    if key.codec == ED25519_PUB:
        return Ed25519PublicKey.from_public_bytes(key.raw)
    if key.codec in _EC_CURVES:
        try:  # SEC 1 §2.3.4: a compressed point, 0x02/0x03 || x
            return ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[key.codec](), key.raw)
        except ValueError:
            raise InvalidDidKey(f"the {key.codec_name} key is not a point on the curve") from None
    raise UnsupportedKey(key.codec_name)
