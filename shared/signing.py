"""credbridge's own HMAC signing scheme, one implementation for both directions.

Ingest verifies generic webhooks with it and the write-back signs its generic callbacks with it (README "The
generic webhook"): `X-Credbridge-Timestamp: <unix>` and
`X-Credbridge-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
"""
from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Credbridge-Timestamp"
SIGNATURE_HEADER = "X-Credbridge-Signature"
SCHEME = "sha256="


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def generic_signed_message(timestamp: int, body: bytes) -> bytes:
    """What the generic scheme signs: the timestamp, a dot, the raw body."""
    return f"{timestamp}.".encode() + body


def sign_generic(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers a generic webhook (or credbridge's own callback) carries."""
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: SCHEME + hmac_sha256_hex(secret, generic_signed_message(timestamp, body)),
            "Content-Type": "application/json"}
