"""OB 3.0 endorsements: the EndorsementCredentials a credential carries, each verified like any credential.

Open Badges 3.0 (§B.1.8 OpenBadgeCredential, §B.1.1 Achievement, §B.1.20 Profile) lets the credential, its
achievement and its issuer's profile carry `endorsement` (embedded EndorsementCredentials, §B.1.7) and
`endorsementJwt` (the same as compact JWS). Each is verified through the format step every credential takes
(its proof and its issuer's key), must be an EndorsementCredential whose `credentialSubject.id` is the id of
what it sits on, and its endorser (its issuer) is looked up in the tenant's trust registry. An endorsement
never changes the credential's own verdict: it is reported, and matching weighs it (credibility tiers).
At most MAX_ENDORSEMENTS are verified per credential, after the credential's own checks, and their fetches are
charged to the credential's fetch budget (fetch_budget.apart): one the budget leaves unchecked is reported as
indeterminate, and the credential's own verdict stays what its own checks make it.
"""
from __future__ import annotations

from typing import Callable

from services.verification import credential as vc
from services.verification import fetch_budget, trust
from services.verification.report import INDETERMINATE, VERIFIED

MAX_ENDORSEMENTS = 5
ENDORSEMENT_TYPE = "EndorsementCredential"
# (jwt=..., document=...) -> (the format step's report, the credential as submitted)
VerifyOne = Callable[..., tuple[dict, dict | None]]


Carried = tuple[str, str | None, str | None, dict | None]


def endorsements_of(claimed: dict) -> list[Carried]:
    """(where, the endorsed id, a JWS or None, a document or None) for each endorsement carried, in order."""
    subject = claimed.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    issuer = claimed.get("issuer")
    found: list[Carried] = []
    for where, place in (("credential", claimed), ("achievement", achievement), ("issuer", issuer)):
        if not isinstance(place, dict):
            continue
        endorsed = place.get("id") if isinstance(place.get("id"), str) else None
        found += [(where, endorsed, None, d) for d in _listed(place.get("endorsement")) if isinstance(d, dict)]
        found += [(where, endorsed, j, None) for j in _listed(place.get("endorsementJwt")) if isinstance(j, str)]
    return found


def check(claimed: dict | None, *, registry: trust.Registry | trust.Unreachable | None,
          verify: VerifyOne) -> list[dict]:
    """One entry per endorsement (up to MAX_ENDORSEMENTS): where it is, its endorser, whether it verified and
    whether the tenant's trust registry has its endorser (None: no registry could say)."""
    if not isinstance(claimed, dict):
        return []
    entries = []
    for where, endorsed, jwt, document in endorsements_of(claimed)[:MAX_ENDORSEMENTS]:
        with fetch_budget.apart() as spent:
            report, endorsement = verify(jwt=jwt, document=document)
        issuer = report.get("issuer") or {}
        verdict, reason = _judged(report, endorsement, endorsed=endorsed)
        if spent.refused and verdict == INDETERMINATE:
            reason = "not checked: the credential's fetch budget was spent before this endorsement's fetches"
        endorser = issuer.get("id") if isinstance(issuer.get("id"), str) else None
        entries.append({"on": where, "endorser": {"id": endorser, "name": _text(issuer.get("name"))},
                        "verdict": verdict, "reason": reason,
                        "endorser_trusted": _trusted(endorser, registry) if verdict == VERIFIED else None})
    return entries


def _judged(report: dict, endorsement: dict | None, *, endorsed: str | None) -> tuple[str, str]:
    if report.get("verdict") != VERIFIED:
        return report.get("verdict") or "failed", "the endorsement did not verify"
    if not isinstance(endorsement, dict) or ENDORSEMENT_TYPE not in vc.types_of(endorsement):
        return "failed", "not an EndorsementCredential"
    subject = endorsement.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if endorsed is None or subject_id != endorsed:
        # An endorsement of something else, copied here, vouches for nothing here.
        return "failed", "its credentialSubject.id is not the id of what it is attached to"
    return VERIFIED, "verified"


def _trusted(endorser: str | None, registry: trust.Registry | trust.Unreachable | None) -> bool | None:
    if not isinstance(registry, trust.Registry) or endorser is None:
        return None
    return trust.matching_kind(endorser, registry.entries) is not None


def _listed(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
