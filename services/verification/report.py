"""The verification report: one Check per rule with a stable code, the verdict rule, and the report dict."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

# Check statuses (shared.events.CheckSchema) and verdicts (shared.events.VERDICTS).
PASSED, FAILED, INDETERMINATE, SKIPPED, UNSUPPORTED = "passed", "failed", "indeterminate", "skipped", "unsupported"
VERIFIED = "verified"

# Stable check codes: consumers (matching, the recruiter UI) key on these, so they never change meaning.
INPUT = "input"                          # something verifiable was submitted at all
FORMAT = "format"                        # the credential's format is one this service verifies
PROOF_PRESENT = "proof.present"          # a JSON credential carries a proof
JWT_DECODE = "jwt.decode"                # compact JWS with JSON header and payload
JWT_ALG = "jwt.alg"                      # the JWS algorithm is supported
ISSUER_KEY = "issuer.key"                # kid / iss resolves to a public key
PROOF_SIGNATURE = "proof.signature"      # the signature verifies with that key
ISSUER_MATCHES_KEY = "issuer.matches_key"  # the claimed issuer is the DID that owns the key
VALIDITY_NOT_BEFORE = "validity.not_before"
VALIDITY_EXPIRY = "validity.expiry"
STRUCTURE_VC = "structure.vc"            # the credential body is a well-formed VC / OpenBadgeCredential
RECIPIENT = "recipient"                  # the credential names the candidate (not checked yet)
# Data Integrity proofs (issue 5 part A).
PROOF_TYPE = "proof.type"                # the proof type / cryptosuite is one this service verifies
PROOF_PURPOSE = "proof.purpose"          # proofPurpose is assertionMethod
PROOF_CREATED = "proof.created"          # the proof was not created in the future
PROOF_EXPIRES = "proof.expires"          # the proof has not expired
ISSUER_KEY_PURPOSE = "issuer.key_purpose"  # the key is one of the issuer's assertionMethod keys
JSONLD_CONTEXTS = "jsonld.contexts"      # every context is in the offline bundle (else indeterminate)
JSONLD_TERMS = "jsonld.terms"            # every term is defined by the contexts (safe mode)
CANONICAL_BUDGET = "canonical.budget"    # canonicalising would exceed the RDFC-1.0 work budget (indeterminate)
FETCH_BUDGET = "fetch.budget"            # the credential needed more fetches (or seconds) than one may take


@dataclass(frozen=True)
class Check:
    code: str
    status: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "status": self.status, "message": self.message}


def passed(code: str, message: str) -> Check:
    return Check(code, PASSED, message)


def failed(code: str, message: str) -> Check:
    return Check(code, FAILED, message)


def indeterminate(code: str, message: str) -> Check:
    return Check(code, INDETERMINATE, message)


def skipped(code: str, message: str) -> Check:
    return Check(code, SKIPPED, message)


def unsupported(code: str, message: str) -> Check:
    return Check(code, UNSUPPORTED, message)


def verdict(checks: Iterable[Check]) -> str:
    """Any failed -> failed; else any indeterminate -> indeterminate; else any unsupported -> unsupported;
    else verified.

    One addition to that rule: a report in which nothing passed (no checks, or all skipped) is
    indeterminate, so that a bug that drops checks can never read as "verified".
    """
    statuses = {c.status for c in checks}
    for status in (FAILED, INDETERMINATE, UNSUPPORTED):
        if status in statuses:
            return status
    return VERIFIED if PASSED in statuses else INDETERMINATE


def build_report(*, format: str, checks: list[Check], now: datetime, achievement: dict | None = None,
                 issuer: dict | None = None, valid_from: datetime | None = None,
                 valid_until: datetime | None = None) -> dict:
    """The report dict (shared.events.ReportSchema); achievement and issuer are as the credential claims them."""
    return {
        "verdict": verdict(checks),
        "format": format,
        "checks": [c.to_dict() for c in checks],
        "achievement": achievement,
        "issuer": issuer,
        "valid_from": _iso(valid_from),
        "valid_until": _iso(valid_until),
        "checked_at": now.isoformat(),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
