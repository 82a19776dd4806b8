"""Scores one application against its role's requirements using verified credentials only (pure, no I/O).

The formula (score_version SCORE_VERSION):

    score = round_half_up(100 × Σ weight of met requirements / Σ weight of all requirements)
    if any essential requirement is not met (missing or pending): score = min(score, ESSENTIAL_MISSING_CAP)

A requirement is *met* when a credential whose verification verdict is `verified` has an
achievement name equal to the requirement's competency label, compared case-insensitively after
trimming and collapsing whitespace. Credentials that `failed` or are `unsupported` count for
nothing but are named in the requirement's reason; an `indeterminate` one makes the requirement
*pending* (not met, not yet ruled out) when no verified credential meets it. Everything else is
*missing*.

An application whose role is unknown or has no requirements is `unscored` (score None), never 0
or 100: a number would claim a judgement that was never made. An application with requirements
but no verified credential at all scores 0 with the reason "no verified credentials".

The same inputs always give the same output: credentials are ordered by id and requirements keep
the role's order; the only clock is the `computed_at` the caller passes in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

# Bumped whenever the formula or its inputs change, so stored scores say which rules made them.
SCORE_VERSION = "2026-11.1"

# A candidate without an essential competency is not a fit however many extras they hold, so
# the score cannot rise above "weak fit" territory while one is not met.
ESSENTIAL_MISSING_CAP = 40

ESSENTIAL, PREFERRED = "essential", "preferred"
IMPORTANCES = (ESSENTIAL, PREFERRED)

MET, MISSING, PENDING = "met", "missing", "pending"
SCORED, UNSCORED = "scored", "unscored"

VERIFIED, FAILED, INDETERMINATE, UNSUPPORTED = "verified", "failed", "indeterminate", "unsupported"
# The order credentials are listed under a requirement: the evidence first, then the doubts.
_VERDICT_ORDER = {VERIFIED: 0, INDETERMINATE: 1, FAILED: 2, UNSUPPORTED: 3}

NO_REQUIREMENTS = "role has no requirements"
NO_VERIFIED_CREDENTIALS = "no verified credentials"


def normalise_label(label: str) -> str:
    """The form two competency labels are compared in: trimmed, whitespace collapsed, case folded."""
    return " ".join(label.split()).casefold()


@dataclass(frozen=True)
class Requirement:
    id: str
    competency: str
    importance: str
    weight: float

    def __post_init__(self):
        if self.importance not in IMPORTANCES:
            raise ValueError(f"importance must be one of {IMPORTANCES}")
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError("weight must be a finite number above 0")


@dataclass(frozen=True)
class Credential:
    """What scoring needs of one credential: its verdict (None while unverified) and what it claims."""
    credential_id: str
    verdict: str | None = None
    achievement: str | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None

    def to_dict(self) -> dict:
        return {"credential_id": self.credential_id, "verdict": self.verdict, "achievement": self.achievement,
                "issuer": {"id": self.issuer_id, "name": self.issuer_name}}


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: str
    reason: str
    credentials: tuple[Credential, ...] = ()

    def to_dict(self) -> dict:
        r = self.requirement
        return {"id": r.id, "competency": r.competency, "importance": r.importance, "weight": r.weight,
                "status": self.status, "reason": self.reason,
                "credentials": [c.to_dict() for c in self.credentials]}


@dataclass(frozen=True)
class ScoreResult:
    status: str
    score: int | None
    reason: str
    computed_at: datetime
    requirements: tuple[RequirementResult, ...] = ()
    credentials: tuple[Credential, ...] = ()
    met_weight: float = 0.0
    total_weight: float = 0.0
    capped: bool = False
    score_version: str = field(default=SCORE_VERSION)

    def to_dict(self) -> dict:
        return {"status": self.status, "score": self.score, "reason": self.reason,
                "score_version": self.score_version, "computed_at": self.computed_at,
                "met_weight": self.met_weight, "total_weight": self.total_weight, "capped": self.capped,
                "requirements": [r.to_dict() for r in self.requirements],
                "credentials": [c.to_dict() for c in self.credentials]}


def score_application(*, requirements: Sequence[Requirement] | None, credentials: Iterable[Credential],
                      computed_at: datetime) -> ScoreResult:
    """Scores one application; `requirements` is None when the application has no role yet."""
    held = tuple(sorted(credentials, key=lambda c: c.credential_id))
    if not requirements:
        return ScoreResult(status=UNSCORED, score=None, reason=NO_REQUIREMENTS, computed_at=computed_at,
                           credentials=held)
    results = tuple(assess_requirement(r, held) for r in requirements)
    total = sum(r.weight for r in requirements)
    met = sum(r.requirement.weight for r in results if r.status == MET)
    raw = _round_half_up(100 * met / total)
    capped = raw > ESSENTIAL_MISSING_CAP and _essential_unmet(results)
    score = ESSENTIAL_MISSING_CAP if capped else raw
    return ScoreResult(status=SCORED, score=score, reason=_summary(results, held, capped=capped),
                       computed_at=computed_at, requirements=results, credentials=held,
                       met_weight=met, total_weight=total, capped=capped)


def assess_requirement(requirement: Requirement, credentials: Sequence[Credential]) -> RequirementResult:
    """Met, pending or missing, with the credentials that claim the competency and a reason in words."""
    wanted = normalise_label(requirement.competency)
    claims = sorted((c for c in credentials if c.achievement and normalise_label(c.achievement) == wanted),
                    key=lambda c: (_VERDICT_ORDER.get(c.verdict, 9), c.credential_id))
    verdicts = {c.verdict for c in claims}
    if VERIFIED in verdicts:
        return RequirementResult(requirement, MET, _met_reason(claims), tuple(claims))
    if INDETERMINATE in verdicts:
        reason = (f"A credential claiming '{requirement.competency}' could not be verified yet "
                  f"(indeterminate); pending until it is")
        return RequirementResult(requirement, PENDING, reason, tuple(claims))
    return RequirementResult(requirement, MISSING, _missing_reason(requirement.competency, verdicts), tuple(claims))


def _met_reason(claims: Sequence[Credential]) -> str:
    verified = [c for c in claims if c.verdict == VERIFIED]
    first = verified[0]
    reason = f"Met by '{first.achievement}' from {_issuer(first)} (verified)"
    if len(verified) > 1:
        reason += f" and {len(verified) - 1} more verified credential{'s' if len(verified) > 2 else ''}"
    return reason


def _missing_reason(competency: str, verdicts: set) -> str:
    if FAILED in verdicts:
        return f"A credential claiming '{competency}' failed verification"
    if UNSUPPORTED in verdicts:
        return f"A credential claiming '{competency}' is in a format that cannot be verified (unsupported)"
    return f"No verified credential shows '{competency}'"


def _issuer(credential: Credential) -> str:
    return credential.issuer_name or credential.issuer_id or "an unnamed issuer"


def _essential_unmet(results: Iterable[RequirementResult]) -> bool:
    # Pending counts as unmet: only verified evidence may lift the cap.
    return any(r.requirement.importance == ESSENTIAL and r.status != MET for r in results)


def _summary(results: Sequence[RequirementResult], held: Sequence[Credential], *, capped: bool) -> str:
    if not any(c.verdict == VERIFIED for c in held):
        return NO_VERIFIED_CREDENTIALS
    met = sum(1 for r in results if r.status == MET)
    summary = f"{met} of {len(results)} requirements met by verified credentials"
    if capped:
        unmet = [r.requirement.competency for r in results if r.requirement.importance == ESSENTIAL and r.status != MET]
        summary += f"; capped at {ESSENTIAL_MISSING_CAP} because essential " + ", ".join(f"'{c}'" for c in unmet) + " not met"
    return summary


def _round_half_up(value: float) -> int:
    # Python's round() rounds halves to even (62.5 -> 62); recruiters expect 62.5 -> 63.
    # The epsilon absorbs float noise such as 100 * 5/8 landing a hair below .5.
    return int(math.floor(value + 0.5 + 1e-9))
