"""The verification report: one Check per rule with a stable code, the verdict rule, and the report dict."""
from __future__ import annotations

import json
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


TRUNCATED = "report.truncated"  # flag: the claimed achievement / issuer were trimmed to fit the report limit
# (longest string, most items in a list or object, deepest nesting) tried in turn until the report fits.
_TRIMS = ((2000, 200, 8), (500, 50, 6), (100, 10, 4))


def bounded(report: dict, max_bytes: int) -> dict:
    """The report, trimmed to `max_bytes` once encoded, flagged `report.truncated` if anything was cut.

    What grows without bound is what the credential claims (alignments, results, escaped text), so that is
    what is trimmed; the verdict, the checks' codes and statuses and the dates are the service's own and stay.
    A report is published as one Kafka record and re-published on every retry, so it must fit one.
    """
    if _size(report) <= max_bytes:
        return report
    flags = [*(f for f in report.get("flags") or [] if f != TRUNCATED), TRUNCATED]
    for chars, items, depth in _TRIMS:
        trimmed = {**report, "flags": flags, "achievement": _trim(report.get("achievement"), chars, items, depth),
                   "issuer": _trim(report.get("issuer"), chars, items, depth),
                   "checks": [{**c, "message": c["message"][:chars]} for c in report["checks"]]}
        if _size(trimmed) <= max_bytes:
            return trimmed
    # Not even the short forms fit: keep only the service's own findings.
    return {**report, "flags": flags, "achievement": None, "issuer": None,
            "checks": [{**c, "message": c["message"][:100]} for c in report["checks"]]}


def _trim(value: object, chars: int, items: int, depth: int) -> object:
    if isinstance(value, str):
        return value[:chars]
    if depth <= 0 and isinstance(value, (list, dict)):
        return None
    if isinstance(value, list):
        return [_trim(v, chars, items, depth - 1) for v in value[:items]]
    if isinstance(value, dict):
        return {str(k)[:chars]: _trim(v, chars, items, depth - 1) for k, v in list(value.items())[:items]}
    return value


def _size(report: dict) -> int:
    # Measured as shared.events encodes it (ASCII-escaped): the bytes the record will carry.
    return len(json.dumps(report, separators=(",", ":")))
