"""Verdicts, checks, requirement marks and score bands in the plain words a recruiter reads (pure)."""
from __future__ import annotations

from typing import Iterable

# What each of verification's stable check codes asks (services/verification/report.py, status.py, ob2.py,
# trust.py); a code not listed here is shown as itself.
CHECK_QUESTIONS = {
    "input": "Was something verifiable submitted at all?",
    "format": "Is the credential in a format credbridge verifies?",
    "jwe": "Is the credential readable (not encrypted for someone else)?",
    "jwt.decode": "Can the signed token be read?",
    "jwt.alg": "Is it signed with a supported algorithm?",
    "proof.present": "Does the credential carry a proof?",
    "proof.type": "Is the proof of a kind credbridge verifies?",
    "proof.purpose": "Was the proof made to assert the credential?",
    "proof.created": "Was the proof made in the past (not post-dated)?",
    "proof.expires": "Is the proof still within its lifetime?",
    "proof.signature": "Does the signature match the credential's content (not forged or altered)?",
    "issuer.key": "Could the issuer's signing key be found?",
    "issuer.key_purpose": "Is the key one the issuer uses to issue credentials?",
    "issuer.matches_key": "Does the key belong to the issuer the credential names?",
    "issuer.trusted": "Is the issuer in your trust registry?",
    "validity.not_before": "Has the credential's validity begun?",
    "validity.expiry": "Is the credential still within its validity dates?",
    "structure.vc": "Is it a well-formed credential?",
    "structure.schema": "Does it follow the schema it declares?",
    "recipient": "Was it issued to this candidate (their email address)?",
    "status.revocation": "Has the issuer revoked it?",
    "status.suspension": "Has the issuer suspended it?",
    "jsonld.contexts": "Are all its vocabularies ones credbridge knows?",
    "jsonld.terms": "Is every term in it defined?",
    "canonical.budget": "Could it be checked within the work limit?",
    "fetch.budget": "Could everything it needs be fetched within the limit?",
    "ob2.hosted": "Is the badge still published by its issuer, unchanged?",
    "ob2.badge": "Do the badge and its issuer belong together?",
    "ob2.origin": "Is the badge hosted where its issuer says its badges live?",
}

CHECK_STATUS_WORDS = {"passed": "yes", "failed": "no", "indeterminate": "could not decide",
                      "skipped": "not checked", "unsupported": "not supported"}

# A credential's standing (matching's refinement of the verdict, evidence.standing_of) in plain words.
STANDING_WORDS = {
    "verified": "Verified",
    "failed": "Failed verification",
    "revoked": "Revoked by its issuer",
    "suspended": "Suspended by its issuer",
    "expired": "Expired",
    "indeterminate": "Could not be verified yet",
    "unsupported": "Not a kind of credential credbridge verifies",
    "recipient_unconfirmed": "Not shown to be issued to this candidate",
    "unverified": "Awaiting verification",
    "unavailable": "No verdict in time; not counted",
}

MARK_WORDS = {"met": "met", "partial": "partly met", "missing": "missing", "pending": "pending"}
MARK_SYMBOLS = {"met": "✓", "partial": "◐", "missing": "✗", "pending": "…"}

TIER_WORDS = {"accredited": "accredited", "recognised": "recognised", "known": "known", "unknown": "unknown"}
TIER_ORDER = ("accredited", "recognised", "known", "unknown")


def failure_headline(standing: str | None, checks: Iterable[dict]) -> str:
    """The one line that says why a credential does not count: revoked, forged, someone else's, untrusted..."""
    failed = {str(c.get("code")) for c in checks if isinstance(c, dict) and c.get("status") == "failed"}
    undecided = {str(c.get("code")) for c in checks if isinstance(c, dict) and c.get("status") == "indeterminate"}
    if standing == "revoked":
        return "Revoked: its issuer has withdrawn it"
    if standing == "suspended":
        return "Suspended by its issuer"
    if standing == "expired":
        return "Expired: past the date it was valid until"
    if "proof.signature" in failed or "ob2.hosted" in failed:
        return "Forged or altered: the signature does not match what the credential says"
    if "recipient" in failed:
        return "Issued to someone else: it names another person as its recipient"
    if "issuer.matches_key" in failed:
        return "Not signed by the issuer it names"
    if "issuer.trusted" in failed:
        return "Issuer not in your registry (your policy fails such issuers)"
    if failed:
        return "Failed verification: " + ", ".join(check_question(c).rstrip("?").lower() for c in sorted(failed))
    if standing == "recipient_unconfirmed":
        return "Not shown to be issued to this candidate: it names no email address to compare"
    if undecided:
        return "Could not be verified: " + ", ".join(sorted(str(c) for c in undecided)) + " undecided"
    return STANDING_WORDS.get(standing or "unverified", standing or "Awaiting verification")


def unregistered(report: dict) -> bool:
    """Verification found the issuer outside the tenant's trust registry: flagged (policy "flag") or failed."""
    flags = report.get("flags") or []
    failed = any(isinstance(c, dict) and c.get("code") == "issuer.trusted" and c.get("status") == "failed"
                 for c in report.get("checks") or [])
    return "issuer.unregistered" in flags or failed


def check_question(code: str) -> str:
    return CHECK_QUESTIONS.get(code, code)


def band(*, status: str, score: int | None, essential_unmet: bool) -> str:
    """A coarse band for a ranked row: what a recruiter scans a list for."""
    if status == "pending":
        return "pending verification"
    if score is None:
        return "not scored"
    if essential_unmet:
        return "essential requirement missing"
    if score >= 75:
        return "strong"
    if score >= 50:
        return "fair"
    return "weak"


def tier_summary(tiers: Iterable[str | None]) -> str:
    """The issuers' tiers of a candidate's verified credentials, best first, e.g. "recognised ×2, unknown ×1"."""
    counts: dict[str, int] = {}
    for tier in tiers:
        if tier:
            counts[tier] = counts.get(tier, 0) + 1
    ordered = sorted(counts, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER))
    return ", ".join(f"{TIER_WORDS.get(t, t)} ×{counts[t]}" for t in ordered) or "no verified credentials"
