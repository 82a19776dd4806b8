"""Assesses one requirement against a candidate's credentials: status, credit (0–1), the credentials used, a reason."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Sequence

from services.matching import credibility, evidence
from services.matching.evidence import Credential, Lexicon, Target
from services.matching.skills.stacking import narrower_items
from services.matching.terms import normalise

# A candidate without an essential competency is not a fit however many extras they hold.
ESSENTIAL_MISSING_CAP = 40
# Evidence of the competency at a lower level than asked (or at no stated level) is worth half.
LEVEL_BELOW_CREDIT = 0.5
DAYS_PER_MONTH = 30.44

ESSENTIAL, PREFERRED = "essential", "preferred"
IMPORTANCES = (ESSENTIAL, PREFERRED)
MET, PARTIAL, MISSING, PENDING = "met", "partial", "missing", "pending"

# Recruiter words for each standing that is not evidence.
_STANDING_WORDS = {evidence.FAILED: "failed verification", evidence.REVOKED: "was revoked by its issuer",
                   evidence.SUSPENDED: "is suspended by its issuer", evidence.EXPIRED: "has expired",
                   evidence.UNSUPPORTED: "is in a format that cannot be verified (unsupported)",
                   evidence.RECIPIENT_UNCONFIRMED: "could not be confirmed as issued to this candidate (it names "
                                                   "no email address of theirs as its recipient)"}

_DOUBT_ORDER: dict[str | None, int] = {evidence.INDETERMINATE: 0, evidence.REVOKED: 1, evidence.SUSPENDED: 2,
                                       evidence.EXPIRED: 3, evidence.FAILED: 4, evidence.UNSUPPORTED: 5,
                                       evidence.RECIPIENT_UNCONFIRMED: 6}


@dataclass(frozen=True)
class Stack:
    """any_of: `count` distinct items of `of` together satisfy the requirement."""
    count: int
    of: tuple[Target, ...]


@dataclass(frozen=True)
class Requirement:
    id: str
    competency: str
    importance: str
    weight: float
    aliases: tuple[str, ...] = ()
    concept: evidence.ConceptRef | None = None
    min_level: str | float | None = None
    max_age_months: float | None = None
    any_of: Stack | None = None
    narrower_count: int | None = None  # N distinct narrower concepts, each by its own credential (skills/stacking.py)
    credibility: credibility.Policy | None = None  # the role's: a weight per issuer tier, a floor for essentials

    def __post_init__(self) -> None:
        if self.importance not in IMPORTANCES:
            raise ValueError(f"importance must be one of {IMPORTANCES}")
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError("weight must be a finite number above 0")

    @property
    def target(self) -> Target:
        return Target(self.competency, self.aliases, self.concept)


@dataclass(frozen=True)
class Used:
    """A credential cited under a requirement, how it matched, and what it earned."""
    credential: Credential
    match: str
    credit: float = 0.0
    note: str = ""
    confidence: float = 1.0  # how sure the match is (evidence.Match)
    via: str = ""            # the label or phrase that made a vocabulary or fuzzy match

    def to_dict(self) -> dict:
        return {**self.credential.to_dict(), "match": self.match, "credit": round(self.credit, 4),
                "confidence": self.confidence}


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: str
    reason: str
    credit: float = 0.0
    used: tuple[Used, ...] = ()

    @property
    def credentials(self) -> tuple[Credential, ...]:
        return tuple(u.credential for u in self.used)

    def to_dict(self) -> dict:
        r = self.requirement
        return {"id": r.id, "competency": r.competency, "importance": r.importance, "weight": r.weight,
                "status": self.status, "credit": round(self.credit, 4), "reason": self.reason,
                "credentials": [u.to_dict() for u in self.used]}


def assess_requirement(requirement: Requirement, credentials: Sequence[Credential], *, lexicon: Lexicon,
                       now: datetime) -> RequirementResult:
    if requirement.any_of is not None:
        return _assess_stack(requirement, requirement.any_of, credentials, lexicon=lexicon)
    direct = _assess_one(requirement, credentials, lexicon=lexicon, now=now)
    if requirement.narrower_count is None or direct.status == MET:
        return direct
    items = narrower_items(requirement.target, credentials, lexicon=lexicon)
    if not items:
        return direct
    stacked = _assess_stack(requirement, Stack(requirement.narrower_count, items), credentials, lexicon=lexicon)
    # A credential of the requirement's own concept may have earned more (a partial level) than the stack.
    return stacked if stacked.credit > direct.credit or not direct.used else direct


def _assess_one(requirement: Requirement, credentials: Sequence[Credential], *, lexicon: Lexicon,
                now: datetime) -> RequirementResult:
    claims = _claims(requirement.target, credentials, lexicon=lexicon)
    earned = [_earn(requirement, u, now=now) for u in claims if u.credential.standing == evidence.VERIFIED]
    # A verified credential whose issuer is below the role's floor for essentials earns nothing at all.
    verified = [u for u in earned if u.credit > 0]
    barred = [u for u in earned if u.credit <= 0]
    # Best evidence first: most credit, then the stronger kind of match, then credential id.
    verified.sort(key=lambda u: (-u.credit, evidence.MATCH_RANK[u.match], u.credential.credential_id))
    # Then the doubts: what may still turn into evidence before what never will.
    others = sorted((u for u in claims if u.credential.standing != evidence.VERIFIED),
                    key=lambda u: (_DOUBT_ORDER.get(u.credential.standing, 9), u.credential.credential_id))
    used = tuple(verified + barred + others)
    if verified:
        best = verified[0]
        status = MET if best.credit >= 1 else PARTIAL
        return RequirementResult(requirement, status, _evidence_reason(requirement, verified), best.credit, used)
    if barred and not any(u.credential.standing == evidence.INDETERMINATE for u in others):
        c = barred[0].credential
        reason = (f"A verified credential claiming '{requirement.competency}' ('{c.achievement or c.credential_id}') "
                  f"counts for nothing: {barred[0].note}")
        return RequirementResult(requirement, MISSING, reason, 0.0, used)
    return _without_evidence(requirement, used)


def _claims(target: Target, credentials: Sequence[Credential], *, lexicon: Lexicon) -> list[Used]:
    found = []
    for c in credentials:
        found_match = evidence.match_detail(target, c, lexicon=lexicon)
        if found_match is not None:
            found.append(Used(c, found_match.kind, confidence=found_match.confidence, via=found_match.via))
    return sorted(found, key=lambda u: (evidence.MATCH_RANK[u.match], u.credential.credential_id))


def _earn(requirement: Requirement, used: Used, *, now: datetime) -> Used:
    level_credit, level_note = _level(requirement.min_level, used.credential)
    age_credit, age_note = _recency(requirement.max_age_months, used.credential, now=now)
    tier_credit, tier_note = _credibility(requirement, used.credential)
    note = "; ".join(n for n in (tier_note, level_note, age_note) if n)
    return replace(used, credit=level_credit * age_credit * tier_credit, note=note)


def _credibility(requirement: Requirement, credential: Credential) -> tuple[float, str]:
    if requirement.credibility is None or credential.tier is None:
        return 1.0, ""
    standing = credibility.Standing(credential.tier, credential.tier_why or "")
    return requirement.credibility.weigh(standing, essential=requirement.importance == ESSENTIAL)


def _level(min_level: str | float | None, credential: Credential) -> tuple[float, str]:
    if min_level is None:
        return 1.0, ""
    achieved = credential.achieved_level
    if achieved is None:
        return LEVEL_BELOW_CREDIT, f"it states no level (at least '{min_level}' asked)"
    order = _level_order(min_level, achieved, levels=credential.levels)
    if order is None:
        return LEVEL_BELOW_CREDIT, f"its level '{achieved}' cannot be compared with the '{min_level}' asked"
    if order >= 0:
        return 1.0, ""
    return LEVEL_BELOW_CREDIT, f"its level '{achieved}' is below the '{min_level}' asked"


def _level_order(minimum: str | float, achieved: str, *, levels: Sequence) -> int | None:
    """Sign of achieved − minimum: numerically when both are numbers, else by position in the rubric."""
    wanted, got = _number(minimum), _number(achieved)
    if wanted is not None and got is not None:
        return (got > wanted) - (got < wanted)
    # A level is a name, or a tuple of the names one level goes by (its id and its name).
    ranks = {normalise(name): i for i, level in enumerate(levels)
             for name in ((level,) if isinstance(level, str) else level)}
    wanted_rank, got_rank = ranks.get(normalise(str(minimum))), ranks.get(normalise(achieved))
    if wanted_rank is None or got_rank is None:
        return None
    return (got_rank > wanted_rank) - (got_rank < wanted_rank)


def _number(value: str | float) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _recency(max_age_months: float | None, credential: Credential, *, now: datetime) -> tuple[float, str]:
    if max_age_months is None or credential.issued_at is None:
        return 1.0, ""
    age = (now - credential.issued_at).total_seconds() / 86400 / DAYS_PER_MONTH
    if age <= max_age_months:
        return 1.0, ""
    credit = 0.5 ** ((age - max_age_months) / max_age_months)
    return credit, f"it is {age:.0f} months old (up to {max_age_months:g} wanted)"


def _evidence_reason(requirement: Requirement, verified: Sequence[Used]) -> str:
    best = verified[0]
    c = best.credential
    verb = "Met" if best.credit >= 1 else "Partly met"
    tier = f", issuer {_tier_words(c)}" if requirement.credibility is not None and c.tier else ""
    reason = f"{verb} by '{c.achievement or c.credential_id}' from {_issuer(c)} (verified{_how(best)}{tier})"
    if best.note:
        reason += f", but {best.note}"
    if len(verified) > 1:
        reason += f" and {len(verified) - 1} more verified credential{'s' if len(verified) > 2 else ''}"
    return reason


def _how(used: Used) -> str:
    how = {evidence.ALIGNMENT: ", aligned to the requirement's concept", evidence.LABEL: "",
           evidence.ALIAS: ", by an alias", evidence.SYNONYM: ", by your synonyms",
           evidence.VOCABULARY: ", by the skills vocabulary",
           evidence.FUZZY: ", by a close match in the skills taxonomy"}[used.match]
    if used.match == evidence.FUZZY and used.via:
        how += f" to '{used.via}'"
    if used.confidence < 1:
        how += f", {used.confidence:.0%} sure"
    return how


def _without_evidence(requirement: Requirement, used: tuple[Used, ...]) -> RequirementResult:
    competency = requirement.competency
    standings = [u.credential.standing for u in used]
    if evidence.INDETERMINATE in standings:
        reason = f"A credential claiming '{competency}' could not be verified yet (indeterminate); pending until it is"
        return RequirementResult(requirement, PENDING, reason, 0.0, used)
    for standing in (evidence.REVOKED, evidence.SUSPENDED, evidence.EXPIRED, evidence.FAILED, evidence.UNSUPPORTED,
                     evidence.RECIPIENT_UNCONFIRMED):
        if standing in standings:
            reason = f"A credential claiming '{competency}' {_STANDING_WORDS[standing]}; it counts for nothing"
            return RequirementResult(requirement, MISSING, reason, 0.0, used)
    return RequirementResult(requirement, MISSING, f"No verified credential shows '{competency}'", 0.0, used)


def _assess_stack(requirement: Requirement, stack: Stack, credentials: Sequence[Credential], *,
                  lexicon: Lexicon) -> RequirementResult:
    claims = [_claims(item, credentials, lexicon=lexicon) for item in stack.of]
    proofs = _distinct_proofs([[u for u in c if u.credential.standing == evidence.VERIFIED] for c in claims])
    shown = [(stack.of[i], replace(u, credit=1.0 / stack.count)) for i, u in sorted(proofs.items())]
    doubts = {u.credential.credential_id: u for i, c in enumerate(claims) if i not in proofs
              for u in c if u.credential.standing != evidence.VERIFIED}
    k = min(len(shown), stack.count)
    used = tuple(u for _, u in shown) + tuple(doubts[cid] for cid in sorted(doubts))
    names = ", ".join(f"'{item.label}'" for item, _ in shown)
    if k >= stack.count:
        return RequirementResult(requirement, MET, f"Met: {k} of {stack.count} wanted shown by verified credentials "
                                                   f"({names})", 1.0, used)
    if k > 0:
        return RequirementResult(requirement, PARTIAL, f"Partly met: {k} of {stack.count} wanted shown by verified "
                                                       f"credentials ({names})", k / stack.count, used)
    return _without_evidence(requirement, used)


def _distinct_proofs(options: list[list[Used]]) -> dict[int, Used]:
    """As many stack items as possible, each proved by a different credential (maximum bipartite matching).

    A greedy pick could spend the one credential that fits two items on the first and leave the
    second unproved although another credential fits the first; augmenting paths avoid that.
    """
    holder: dict[str, int] = {}  # credential id -> the item it proves

    def assign(item: int, seen: set[str]) -> bool:
        for u in options[item]:
            cid = u.credential.credential_id
            if cid in seen:
                continue
            seen.add(cid)
            if cid not in holder or assign(holder[cid], seen):
                holder[cid] = item
                return True
        return False

    for item in range(len(options)):
        assign(item, set())
    by_item = {item: cid for cid, item in holder.items()}
    return {item: next(u for u in options[item] if u.credential.credential_id == cid) for item, cid in by_item.items()}


def _tier_words(credential: Credential) -> str:
    # "accredited by QAA", "recognised: in your trust registry", "unknown: issuer not in your registry"
    why = credential.tier_why or ""
    return why if why.startswith(credential.tier or "") else f"{credential.tier}: {why}"


def _issuer(credential: Credential) -> str:
    return credential.issuer_name or credential.issuer_id or "an unnamed issuer"
