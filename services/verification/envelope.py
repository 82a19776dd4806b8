"""Enveloped credentials: the secured credential an EnvelopedVerifiableCredential's data: URL carries.

Sources: VC Data Model 2.0 §4.13 (Enveloped Verifiable Credentials: `type` EnvelopedVerifiableCredential,
`id` a data: URL of the secured credential); RFC 2397 (data:[<mediatype>][;base64],<data>); Securing VCs
using JOSE and COSE §3.1.1 / §6.1 (application/vc+jwt; vc-ld+jwt is the earlier drafts' name).
"""
from __future__ import annotations

import base64
import binascii
from typing import TypeGuard
from urllib.parse import unquote_to_bytes

from services.verification import credential

ENVELOPE = "EnvelopedVerifiableCredential"
JWT_MEDIA_TYPES = ("application/vc+jwt", "application/vc-ld+jwt", "application/jwt")


class Unopened(ValueError):
    """The envelope carries nothing this service can verify; `supported` is False for a media type it does
    not verify yet (SD-JWT, COSE, ...), True when the envelope itself is malformed."""

    def __init__(self, message: str, *, supported: bool):
        super().__init__(message)
        self.supported = supported


def is_envelope(document: object) -> TypeGuard[dict]:
    return isinstance(document, dict) and ENVELOPE in credential.types_of(document)


def opened_jwt(document: dict) -> str:
    """The compact JWS a `data:application/vc+jwt,<jws>` envelope carries, or Unopened saying why not."""
    url = document.get("id")
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise Unopened("the envelope's id is not a data: URL", supported=True)
    header, data = url[len("data:"):].split(",", 1)
    media_type, *parameters = [p.strip().lower() for p in header.split(";")]
    if media_type not in JWT_MEDIA_TYPES:
        raise Unopened(f"enveloped credentials of type {media_type[:40] or 'none'} are not supported yet; "
                       f"only {JWT_MEDIA_TYPES[0]}", supported=False)
    raw = unquote_to_bytes(data)
    if "base64" in parameters:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise Unopened("the envelope's data: URL is not valid base64", supported=True) from None
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise Unopened("the envelope does not carry a compact JWS", supported=True) from None
