"""Webhook authentication schemes: pure functions of the request's bytes, the secrets and the clock."""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

# The generic scheme lives in shared/ (the write-back signs with it too); re-exported here for ingest's providers.
from shared.signing import SCHEME, generic_signed_message, hmac_sha256_hex, sign_generic

__all__ = ["AuthError", "check_timestamp", "content_digest", "hmac_sha256_hex", "matches_any", "sign_generic",
           "verify_generic", "verify_hex_hmac"]


class AuthError(Exception):
    """The request is not provably from the connection's ATS; the message says which check failed."""


def matches_any(expected_for: Iterable[str], presented: str) -> bool:
    """Constant-time compare of `presented` with each candidate; every candidate is compared (rotation)."""
    presented_b = presented.strip().lower().encode()
    ok = False
    for candidate in expected_for:
        ok |= hmac.compare_digest(candidate.encode(), presented_b)
    return ok


def check_timestamp(raw: str | None, *, now: float, window_s: int) -> int:
    """A signed unix timestamp within ±window of now (replay window)."""
    if not raw:
        raise AuthError("missing timestamp")
    try:
        ts = int(raw)
    except ValueError:
        raise AuthError("timestamp is not unix seconds") from None
    if abs(now - ts) > window_s:
        raise AuthError("timestamp outside the replay window")
    return ts


def verify_generic(*, secrets: Iterable[str], timestamp: str | None, signature: str | None, body: bytes,
                   now: float, window_s: int) -> None:
    """credbridge's own scheme: `X-Credbridge-Signature: sha256=<hex HMAC-SHA256(secret, ts + "." + body)>`."""
    ts = check_timestamp(timestamp, now=now, window_s=window_s)
    if not signature or not signature.startswith(SCHEME):
        raise AuthError("missing or malformed signature header")
    signed = generic_signed_message(ts, body)
    if not matches_any((hmac_sha256_hex(s, signed) for s in secrets), signature[len(SCHEME):]):
        raise AuthError("signature does not match")


def verify_hex_hmac(*, secrets: Iterable[str], presented: str | None, message: bytes) -> None:
    """`presented` must be hex HMAC-SHA256(secret, message) for one of the live secrets."""
    if not presented:
        raise AuthError("missing signature")
    if not matches_any((hmac_sha256_hex(s, message) for s in secrets), presented):
        raise AuthError("signature does not match")


def content_digest(*parts: bytes | str) -> str:
    """A delivery id for providers that send none: a digest of exactly what was signed."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)  # length-prefixed, so parts cannot run together
    return "sha256:" + h.hexdigest()
