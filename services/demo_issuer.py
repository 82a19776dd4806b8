"""A demo and test credential issuer: an Ed25519 key, its did:key, and real Open Badges 3.0 VC-JWTs signed with it.

Used by the test suite, `credbridge demo-webhook` and `make demo`; never by the verifier itself.

Encodes did:key itself (multicodec 0xed 0x01 + raw key, base58-btc, 'z' multibase header; did:key
v0.7 §2) and signs with PyJWT, so tests of the service's own decoder and verifier are checked
against an independent implementation rather than against themselves.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import base58
import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ED25519_MULTICODEC = b"\xed\x01"


def did_key_for(raw_public_key: bytes, multicodec: bytes = ED25519_MULTICODEC) -> str:
    return "did:key:z" + base58.b58encode(multicodec + raw_public_key).decode("ascii")


@dataclass(frozen=True)
class Issuer:
    private_key: Ed25519PrivateKey
    did: str
    name: str = "Example Training Academy"

    @classmethod
    def generate(cls, name: str = "Example Training Academy") -> "Issuer":
        return cls.from_private_key(Ed25519PrivateKey.generate(), name=name)

    @classmethod
    def from_private_key(cls, key: Ed25519PrivateKey, name: str = "Example Training Academy") -> "Issuer":
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(private_key=key, did=did_key_for(raw), name=name)

    @property
    def kid(self) -> str:
        # did:key §3.1.1: the key's verification method is <did>#<multibase value>.
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def claims(self, *, subject_email: str | None = None, achievement_name: str = "Python Programming",
               nbf: int | datetime | None = None, exp: int | datetime | None = None,
               issuer_override: str | None = None, extra_claims: dict | None = None) -> dict:
        """The JWT payload of an OpenBadgeCredential (OB 3.0 §8.2 claims around a `vc` claim)."""
        issuer_id = issuer_override or self.did
        nbf_s = _seconds(nbf) if nbf is not None else int(time.time()) - 60
        vc: dict[str, Any] = {
            "@context": [VC_V2_CONTEXT, OB3_CONTEXT],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": issuer_id, "type": "Profile", "name": self.name},
            "validFrom": _iso(nbf_s),
            "name": achievement_name,
            "credentialSubject": {"type": "AchievementSubject", "achievement": _achievement(achievement_name)},
        }
        if subject_email is not None:
            vc["credentialSubject"]["identifier"] = [_hashed_email(subject_email)]
        payload: dict[str, Any] = {"iss": issuer_id, "jti": vc["id"], "nbf": nbf_s, "vc": vc}
        if exp is not None:
            payload["exp"] = _seconds(exp)
            vc["validUntil"] = _iso(payload["exp"])
        payload.update(extra_claims or {})
        return payload

    def sign(self, payload: dict, *, header: dict | None = None, key: Ed25519PrivateKey | None = None) -> str:
        """A compact EdDSA JWS of `payload`, kid naming this issuer's key unless `header` says otherwise
        (a header value of None leaves that parameter out)."""
        headers = {k: v for k, v in {"kid": self.kid, "typ": "JWT", **(header or {})}.items() if v is not None}
        return pyjwt.encode(payload, key or self.private_key, algorithm="EdDSA", headers=headers)

    def vc_jwt(self, *, subject_email: str | None = None, achievement_name: str = "Python Programming",
               nbf: int | datetime | None = None, exp: int | datetime | None = None,
               issuer_override: str | None = None, extra_claims: dict | None = None) -> str:
        return self.sign(self.claims(subject_email=subject_email, achievement_name=achievement_name, nbf=nbf,
                                     exp=exp, issuer_override=issuer_override, extra_claims=extra_claims))


def tamper(token: str, *, achievement_name: str | None = None) -> str:
    """The same token with the achievement's name changed in the payload and the old signature kept (a forgery)."""
    header, payload, signature = token.split(".")
    claims = json.loads(_b64decode(payload))
    achievement = claims["vc"]["credentialSubject"]["achievement"]
    achievement["name"] = achievement_name or achievement["name"] + " (Advanced)"
    return ".".join([header, _b64encode(json.dumps(claims).encode()), signature])


def _achievement(name: str) -> dict:
    slug = "-".join(name.lower().split())
    return {
        "id": f"https://academy.example/achievements/{slug}",
        "type": ["Achievement"],
        "name": name,
        "description": f"Awarded for completing the {name} course.",
        "criteria": {"narrative": f"Passed the {name} final assessment."},
    }


def _hashed_email(email: str) -> dict:
    # OB 3.0 IdentityObject: identityHash is "sha256$" + hex(sha256(identity + salt)) when hashed.
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((email + salt).encode()).hexdigest()
    return {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
            "identityHash": f"sha256${digest}", "salt": salt}


def _seconds(moment: int | datetime) -> int:
    return int(moment.timestamp()) if isinstance(moment, datetime) else int(moment)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
