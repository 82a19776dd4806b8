"""Builds status lists and credentials that point at them, signed by the demo issuer (tests only).

Encoding per W3C Bitstring Status List v1.0 §3.1 (GZIP, base64url without padding, multibase 'u';
index 0 is the most significant bit of the first byte) and W3C CCG StatusList2021 §2 (no 'u').
"""
from __future__ import annotations

import base64
import gzip
from datetime import datetime

from services.demo_issuer import Issuer
from tests.support.issuer import APPLICANT

MIN_BYTES = 16 * 1024  # 131072 entries, the spec's minimum
STATUS_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def encode_bits(set_bits=(), *, size_bytes: int = MIN_BYTES, multibase: bool = True) -> str:
    bits = bytearray(size_bytes)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    encoded = base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()
    return ("u" if multibase else "") + encoded


def list_credential(issuer: Issuer, *, url: str, purpose="revocation", set_bits=(), ttl_ms: int | None = None,
                    kind: str = "bitstring", encoded: str | None = None, nbf: datetime | None = None,
                    issuer_override: str | None = None) -> str:
    """A BitstringStatusListCredential (or StatusList2021Credential) as an EdDSA VC-JWT."""
    payload = issuer.claims(nbf=nbf, issuer_override=issuer_override)
    vc = payload["vc"]
    vc["id"] = url
    payload["jti"] = url
    subject = {"id": f"{url}#list", "statusPurpose": purpose,
               "encodedList": encoded or encode_bits(set_bits, multibase=kind == "bitstring")}
    if kind == "bitstring":
        vc["type"] = ["VerifiableCredential", "BitstringStatusListCredential"]
        subject["type"] = "BitstringStatusList"
        if ttl_ms is not None:
            subject["ttl"] = ttl_ms
    else:
        vc["type"] = ["VerifiableCredential", "StatusList2021Credential"]
        subject["type"] = "StatusList2021"
    vc["@context"] = [STATUS_V2_CONTEXT]
    vc.pop("name", None)
    vc["credentialSubject"] = subject
    return issuer.sign(payload)


def status_entry(url: str, index: int, *, purpose: str = "revocation", kind: str = "bitstring") -> dict:
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry" if kind == "bitstring" else "StatusList2021Entry",
            "statusPurpose": purpose, "statusListIndex": str(index), "statusListCredential": url}


def credential_with_status(issuer: Issuer, entries: list[dict], *, subject_email: str | None = APPLICANT,
                           achievement_name: str = "Python Programming", nbf: datetime | None = None,
                           exp: datetime | None = None, credential_id: str | None = None) -> str:
    """An OB 3.0 VC-JWT whose credentialStatus names the given entries."""
    payload = issuer.claims(subject_email=subject_email, achievement_name=achievement_name, nbf=nbf, exp=exp)
    payload["vc"]["credentialStatus"] = entries if len(entries) != 1 else entries[0]
    if credential_id is not None:
        payload["vc"]["id"] = payload["jti"] = credential_id
    return issuer.sign(payload)
