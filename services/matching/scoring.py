"""Scores one application against its role's requirements using verified credentials only (pure, no I/O).

The formula (score_version SCORE_VERSION):

    credit(r) ∈ [0, 1] for each requirement r (below)
    score = round_half_up(100 × Σ weight(r)·credit(r) / Σ weight(r))
    if any essential requirement has credit 0 (missing or pending): score = min(score, ESSENTIAL_MISSING_CAP)

credit(r), from the best verified credential that shows r's competency (evidence.match):
  * 1 — met;
  * LEVEL_BELOW_CREDIT when r has a min_level and the credential's achievedLevel is below it (in the
    order the credential's rubric lists its levels, lowest first, or numerically), or it states no
    level that can be compared;
  * × 0.5 ** ((age − max_age_months) / max_age_months) when r has max_age_months and the credential
    is older than that: past the limit the credit halves every further max_age_months;
  * a stack (any_of: N of a set) earns k/N for k distinct items shown by distinct credentials
    (levels and age are not applied to stack items);
  * with the role's credibility policy: × the weight of the issuer's tier (accredited / recognised /
    known / unknown, credibility.py), and 0 for an essential requirement when the tier is below the
    policy's essential_minimum.
Status: `met` (credit 1), `partial` (0 < credit < 1), `pending` (no verified evidence but an
indeterminate credential claims it), `missing`. Only `verified` credentials earn credit; failed,
revoked, suspended, expired, unsupported and recipient-unconfirmed ones are named in the reason and count
for nothing.

An application whose role is unknown or has no requirements is `unscored` (score None), never 0
or 100. While any of its credentials awaits its verdict (standing `unverified`: listed, not verified yet,
its deadline not passed) an application with requirements is `pending` (score None, never ranked):
every requirement not met yet is `pending`, and the reason says how many verdicts it waits for; a
provisional number would read as a final one. Once every credential has a verdict or is `unavailable`
(past its deadline, see deadlines.py), it is `scored`. An application with requirements but no
verified credential then scores 0, "no verified credentials".
The same inputs always give the same output: credentials are ordered by id, requirements keep the
role's order; the only clock is the `computed_at` the caller passes in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

from services.matching import evidence
from services.matching.assess import (ESSENTIAL, ESSENTIAL_MISSING_CAP, IMPORTANCES, LEVEL_BELOW_CREDIT, MET,  # noqa: F401
                                      MISSING, PARTIAL, PENDING, PREFERRED, Requirement, RequirementResult, Stack,
                                      Used, assess_requirement)
from services.matching.evidence import ConceptRef, Credential, Lexicon, Target  # noqa: F401
from services.matching.terms import normalise

SCORE_VERSION = "2026-12.1"  # 2026-12.1: the ESCO taxonomy and fuzzy matches

SCORED, UNSCORED = "scored", "unscored"  # and PENDING ("pending"): verdicts outstanding
VERIFIED, FAILED, INDETERMINATE, UNSUPPORTED = "verified", "failed", "indeterminate", "unsupported"

NO_REQUIREMENTS = "role has no requirements"
NO_VERIFIED_CREDENTIALS = "no verified credentials"


def normalise_label(label: str) -> str:
    """The form two competency labels are compared in (see terms.normalise)."""
    return normalise(label)


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
    pending_until: datetime | None = None  # pending: the first moment an awaited credential's deadline passes

    def to_dict(self) -> dict:
        return {"status": self.status, "score": self.score, "reason": self.reason,
                "score_version": self.score_version, "computed_at": self.computed_at,
                "met_weight": round(self.met_weight, 4), "total_weight": self.total_weight, "capped": self.capped,
                "pending_until": self.pending_until,
                "requirements": [r.to_dict() for r in self.requirements],
                "credentials": [c.to_dict() for c in self.credentials]}


def score_application(*, requirements: Sequence[Requirement] | None, credentials: Iterable[Credential],
                      computed_at: datetime, lexicon: Lexicon | None = None) -> ScoreResult:
    """Scores one application; `requirements` is None when the application has no role yet."""
    held = tuple(sorted(credentials, key=lambda c: c.credential_id))
    if not requirements:
        return ScoreResult(status=UNSCORED, score=None, reason=NO_REQUIREMENTS, computed_at=computed_at,
                           credentials=held)
    lexicon = lexicon or Lexicon()
    results = tuple(assess_requirement(r, held, lexicon=lexicon, now=computed_at) for r in requirements)
    total = sum(r.weight for r in requirements)
    earned = sum(r.requirement.weight * r.credit for r in results)
    awaited = [c for c in held if c.standing == evidence.UNVERIFIED]
    if awaited:
        return _pending(results, held, awaited=awaited, computed_at=computed_at, earned=earned, total=total)
    raw = round_half_up(100 * earned / total)
    capped = raw > ESSENTIAL_MISSING_CAP and _essential_unmet(results)
    score = ESSENTIAL_MISSING_CAP if capped else raw
    return ScoreResult(status=SCORED, score=score, reason=_summary(results, held, capped=capped),
                       computed_at=computed_at, requirements=results, credentials=held,
                       met_weight=earned, total_weight=total, capped=capped)


def _pending(results: Sequence[RequirementResult], held: tuple[Credential, ...], *, awaited: Sequence[Credential],
             computed_at: datetime, earned: float, total: float) -> ScoreResult:
    """Verdicts outstanding: whatever is not met yet may still be, so nothing is scored or ruled out."""
    waiting = being_verified(len(awaited))
    shown = tuple(r if r.status == MET else
                  RequirementResult(r.requirement, PENDING, f"{r.reason}; pending: {waiting}", r.credit, r.used)
                  for r in results)
    met = sum(1 for r in results if r.status == MET)
    reason = waiting + (f"; {met} of {len(results)} requirements met so far by verified credentials" if met else "")
    deadlines = [c.awaited_until for c in awaited if c.awaited_until is not None]
    return ScoreResult(status=PENDING, score=None, reason=reason, computed_at=computed_at, requirements=shown,
                       credentials=held, met_weight=earned, total_weight=total,
                       pending_until=min(deadlines) if deadlines else None)


def being_verified(count: int) -> str:
    """'1 credential being verified' / '2 credentials being verified'."""
    return f"{count} credential{'s' if count != 1 else ''} being verified"


def _essential_unmet(results: Iterable[RequirementResult]) -> bool:
    # Pending counts as unmet: only verified evidence may lift the cap; partial evidence does.
    return any(r.requirement.importance == ESSENTIAL and r.credit == 0 for r in results)


def _summary(results: Sequence[RequirementResult], held: Sequence[Credential], *, capped: bool) -> str:
    unavailable = sum(1 for c in held if c.standing == evidence.UNAVAILABLE)
    late = f"; {unavailable} credential{'s' if unavailable != 1 else ''} unavailable (no verdict in time)" \
        if unavailable else ""
    if not any(c.standing == evidence.VERIFIED for c in held):
        return NO_VERIFIED_CREDENTIALS + late
    met = sum(1 for r in results if r.status == MET)
    partial = sum(1 for r in results if r.status == PARTIAL)
    summary = f"{met} of {len(results)} requirements met by verified credentials"
    if partial:
        summary += f", {partial} partly met"
    summary += late
    if capped:
        unmet = [r.requirement.competency for r in results if r.requirement.importance == ESSENTIAL and r.credit == 0]
        summary += (f"; capped at {ESSENTIAL_MISSING_CAP} because essential "
                    + ", ".join(f"'{c}'" for c in unmet) + " not met")
    return summary


def round_half_up(value: float) -> int:
    # Python's round() rounds halves to even (62.5 -> 62); recruiters expect 62.5 -> 63.
    # The epsilon absorbs float noise such as 100 * 5/8 landing a hair below .5.
    return int(math.floor(value + 0.5 + 1e-9))
