"""did:key decoding, checked against the W3C CCG did:key method's published test vectors.

Source of the vectors: W3C CCG, "The did:key Method v0.7", repository w3c-ccg/did-method-key,
files test-vectors/ed25519-x25519.json (Ed25519, seeds 0..4) and test-vectors/nist-curves.json
(P-256, P-384): https://github.com/w3c-ccg/did-method-key/tree/main/test-vectors
"""
from __future__ import annotations

import base64

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import didkey
from tests.support.issuer import did_key_for

# (seed = RFC 8032 private key, did, verificationKeyPair.publicKeyBase58) from ed25519-x25519.json
ED25519_VECTORS = [
    ("00" * 32, "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
     "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS"),
    ("00" * 31 + "01", "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
     "6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt"),
    ("00" * 31 + "02", "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
     "8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH"),
    ("00" * 31 + "03", "did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ",
     "HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2"),
    ("00" * 31 + "04", "did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL",
     "J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x"),
]
# nist-curves.json: the first P-256 entry's DID and its publicKeyJwk x / y.
P256_DID = "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"
P256_X = "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns"
P256_Y = "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"
P384_DID = "did:key:z82Lm1MpAkeJcix9K8TMiLd5NMAhnwkjjCBeWHXyu3U4oT2MVJJKXkcVBgjGhnLBn2Kaau9"


def _raw(public_key) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("seed, did, public_base58", ED25519_VECTORS)
def test_each_published_ed25519_did_key_decodes_to_its_published_public_key_bytes(seed, did, public_base58):
    assert _raw(didkey.ed25519_key(did)) == base58.b58decode(public_base58)


@pytest.mark.parametrize("seed, did, public_base58", ED25519_VECTORS)
def test_the_test_issuer_encodes_each_published_seed_to_its_published_did(seed, did, public_base58):
    public = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).public_key()
    assert did_key_for(_raw(public)) == did


def test_a_did_url_whose_fragment_is_the_did_key_value_names_the_same_key():
    _, did, public_base58 = ED25519_VECTORS[0]
    kid = f"{did}#{did.removeprefix('did:key:')}"
    assert _raw(didkey.ed25519_key(kid)) == base58.b58decode(public_base58)


def test_a_did_url_whose_fragment_names_some_other_key_is_invalid():
    _, did, _ = ED25519_VECTORS[0]
    other = ED25519_VECTORS[1][1].removeprefix("did:key:")
    with pytest.raises(didkey.InvalidDidKey, match="fragment"):
        didkey.ed25519_key(f"{did}#{other}")


def test_the_published_p256_did_key_decodes_to_the_compressed_point_of_its_published_jwk():
    key = didkey.decode(P256_DID)
    y_is_odd = _b64url(P256_Y)[-1] & 1
    assert (key.codec, key.codec_name) == (0x1200, "p256-pub")
    assert key.raw == bytes([0x03 if y_is_odd else 0x02]) + _b64url(P256_X)


@pytest.mark.parametrize("did, codec_name", [(P256_DID, "p256-pub"), (P384_DID, "p384-pub")])
def test_the_ed25519_decoder_reports_a_nist_curve_did_key_as_an_unsupported_key_type_not_as_invalid(did, codec_name):
    with pytest.raises(didkey.UnsupportedKey) as caught:
        didkey.ed25519_key(did)
    assert caught.value.codec_name == codec_name
    assert codec_name in str(caught.value)


@pytest.mark.parametrize("did, reason", [
    ("did:web:example.com", "not a did:key"),
    ("did:key:u7QE", "base58-btc"),                               # base64url multibase, not 'z'
    ("did:key:z0OIl", "base58-btc"),                              # characters outside base58-btc
    ("did:key:z", "base58-btc"),
    (did_key_for(bytes(31)), "32 bytes"),                         # an Ed25519 key one byte short
    (did_key_for(bytes(32), multicodec=b"\x99\x99\x01"), "unknown multicodec"),
    (did_key_for(bytes(32), multicodec=b"\xed\x81\x00"), "minimally"),  # 0xed padded with a zero group
    ("did:key:z" + base58.b58encode(b"\xed").decode(), "no complete multicodec header"),
])
def test_a_malformed_did_key_is_invalid_with_a_reason(did, reason):
    with pytest.raises(didkey.InvalidDidKey, match=reason):
        didkey.ed25519_key(did)
