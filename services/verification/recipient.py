"""Recipient binding: does the credential name the applicant, by one of the email addresses the ATS gave?

Sources: Open Badges 2.0 §IdentityObject (recipient: type "email", identity plain or "sha256$"/"md5$"
hex digest of identity + salt, `hashed`, `salt`); Open Badges 3.0 §B.1.2 AchievementSubject.identifier
and §B.1.9 IdentityObject (identityType "emailAddress", identityHash, hashed, salt).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from services.verification.report import RECIPIENT, Check, failed, indeterminate, passed, skipped

_EMAIL_TYPES = ("email", "emailAddress")  # OB 2.0 recipient.type / OB 3.0 identityType
_ALGORITHMS = {"sha256": hashlib.sha256, "md5": hashlib.md5}


@dataclass(frozen=True)
class Identity:
    """One email identity a credential states: plain (`value` is the address) or hashed (`value` is hex)."""
    value: str
    hashed: bool
    algorithm: str | None = None
    salt: str = ""


def check(credential: object, emails: list[str] | tuple[str, ...] | None) -> Check:
    """recipient: passed when an email identity matches one of `emails`, failed when none does, indeterminate
    when the credential states no email identity to compare (a DID-bound subject, or none at all)."""
    if not emails:
        return skipped(RECIPIENT, "not checked: no applicant email was given")
    identities, problems = email_identities(credential)
    if not identities and problems:
        return failed(RECIPIENT, problems[0])
    if not identities:
        # Nothing to compare with the applicant's email: the credential would count for whoever submits it,
        # so it cannot be verified for this applicant (issue 11, item 5).
        return indeterminate(RECIPIENT, f"cannot confirm the credential was issued to this applicant: "
                                        f"{_unbound(credential)}, not by an email address the applicant gave")
    if any(_matches(identity, email) for identity in identities for email in emails):
        return passed(RECIPIENT, "the credential names the applicant's email address")
    return failed(RECIPIENT, "the credential names someone else: no recipient identity matches the applicant's email")


def _unbound(credential: object) -> str:
    subjects = _list(credential.get("credentialSubject")) if isinstance(credential, dict) else []
    ids: list[str] = [s["id"] for s in subjects if isinstance(s, dict) and isinstance(s.get("id"), str)]
    if any(i.startswith("did:") for i in ids):
        return "it names its subject only by a DID (bound to whoever holds that DID's key)"
    if ids:
        return "it names its subject only by an identifier that is not an email address"
    return "it names no recipient"


def email_identities(credential: object) -> tuple[list[Identity], list[str]]:
    """(email identities stated, problems with malformed ones) from an OB 2.0 assertion or an OB 3.0 credential."""
    if not isinstance(credential, dict):
        return [], []
    nodes = []
    if isinstance(credential.get("recipient"), dict):  # OB 2.0 Assertion.recipient
        nodes.append(credential["recipient"])
    for subject in _list(credential.get("credentialSubject")):
        if isinstance(subject, dict):
            nodes.extend(n for n in _list(subject.get("identifier")) if isinstance(n, dict))
    identities, problems = [], []
    for node in nodes:
        try:
            identity = _identity(node)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if identity is not None:
            identities.append(identity)
    return identities, problems


def _identity(node: dict) -> Identity | None:
    kind = node.get("identityType", node.get("type"))
    if kind not in _EMAIL_TYPES:
        return None  # a DID, URL or telephone identity: not comparable with an email
    value = node.get("identityHash", node.get("identity"))
    if not isinstance(value, str) or not value:
        raise ValueError("a recipient identity has no value")
    salt = node.get("salt") or ""
    if not isinstance(salt, str):
        raise ValueError("a recipient identity's salt is not a string")
    if node.get("hashed") is not True:
        return Identity(value=value, hashed=False)
    algorithm, sep, digest = value.partition("$")
    if not sep or algorithm.lower() not in _ALGORITHMS:
        raise ValueError("a hashed recipient identity is not 'sha256$…' or 'md5$…'")
    return Identity(value=digest.lower(), hashed=True, algorithm=algorithm.lower(), salt=salt)


def _matches(identity: Identity, email: str) -> bool:
    # Issuers differ on whether they lower-case the address before hashing; try it as given and lower-cased.
    candidates = {email.strip(), email.strip().lower()}
    if not identity.hashed:
        return any(hmac.compare_digest(c.lower().encode(), identity.value.strip().lower().encode())
                   for c in candidates)
    hasher = _ALGORITHMS.get(identity.algorithm or "")
    if hasher is None:
        return False  # a hashed identity without a known algorithm matches no one
    return any(hmac.compare_digest(hasher((c + identity.salt).encode()).hexdigest().encode(),
                                   identity.value.encode()) for c in candidates)


def _list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
