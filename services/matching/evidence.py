"""What one credential is worth as evidence: its standing (verified, revoked, expired...) and whether it shows a competency.

A credential shows a competency by, in this order (the first that applies names the match):
  1. `alignment`  — an OB 3.0 alignment whose targetUrl equals the concept's uri, or whose
                    targetCode + targetFramework equal the concept's code and framework;
  2. `label`      — the achievement name or an alignment's targetName equals the competency's label,
     `alias`        one of its aliases, or
     `synonym`      a word the tenant declared equivalent — all compared normalised (terms.normalise);
  3. `vocabulary` — the starter vocabulary maps both to one concept, or the credential's concept is
                    narrower than the requirement's (Python evidence shows "computer programming";
                    the reverse does not hold).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.matching.terms import Synonyms, Vocabulary, normalise, normalise_framework

# Standings a credential can have; only VERIFIED is evidence.
VERIFIED, FAILED, REVOKED, SUSPENDED, EXPIRED = "verified", "failed", "revoked", "suspended", "expired"
INDETERMINATE, UNSUPPORTED, UNVERIFIED = "indeterminate", "unsupported", "unverified"
# No verdict came within the verification deadline (services/matching/deadlines.py): scored without it.
UNAVAILABLE = "unavailable"
NOT_EVIDENCE = (FAILED, REVOKED, SUSPENDED, EXPIRED, UNSUPPORTED)

ALIGNMENT, LABEL, ALIAS, SYNONYM, VOCABULARY = "alignment", "label", "alias", "synonym", "vocabulary"
MATCH_RANK = {ALIGNMENT: 0, LABEL: 1, ALIAS: 2, SYNONYM: 3, VOCABULARY: 4}


@dataclass(frozen=True)
class ConceptRef:
    framework: str | None = None
    code: str | None = None
    uri: str | None = None


@dataclass(frozen=True)
class Target:
    """A competency a requirement (or one item of a stack) asks for."""
    label: str
    aliases: tuple[str, ...] = ()
    concept: ConceptRef | None = None


@dataclass(frozen=True)
class Credential:
    """What scoring needs of one credential, as its latest verification report states it."""
    credential_id: str
    verdict: str | None = None           # the report's verdict; None while not verified yet
    standing: str | None = None          # the verdict refined (revoked / suspended / expired); None: the verdict
    achievement: str | None = None
    alignments: tuple[dict, ...] = ()    # {targetUrl, targetCode, targetFramework, targetName}
    achieved_level: str | None = None
    levels: tuple = ()                   # the rubric's levels, lowest first: each a name or a tuple of names
    issued_at: datetime | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    awaited_until: datetime | None = None  # unverified: when its verification deadline passes
    reason: str | None = None              # unavailable: why it has no verdict

    def __post_init__(self):
        if self.standing is None:
            known = self.verdict in (VERIFIED, FAILED, INDETERMINATE, UNSUPPORTED)
            object.__setattr__(self, "standing", self.verdict if known else UNVERIFIED)

    def to_dict(self) -> dict:
        found = {"credential_id": self.credential_id, "verdict": self.verdict, "status": self.standing,
                 "achievement": self.achievement, "achieved_level": self.achieved_level,
                 "issued_at": self.issued_at, "issuer": {"id": self.issuer_id, "name": self.issuer_name}}
        return found if self.reason is None else {**found, "reason": self.reason}


@dataclass(frozen=True)
class Lexicon:
    """The words matching compares with: the tenant's synonyms and the starter vocabulary."""
    synonyms: Synonyms = Synonyms()
    vocabulary: Vocabulary = Vocabulary()


def match(target: Target, credential: Credential, *, lexicon: Lexicon) -> str | None:
    """How the credential shows the target (ALIGNMENT ... VOCABULARY), or None if it does not."""
    if target.concept is not None and any(_aligned(target.concept, a) for a in credential.alignments):
        return ALIGNMENT
    names = {normalise(n) for n in _names(credential)}
    label, aliases = normalise(target.label), {normalise(a) for a in target.aliases}
    if label in names:
        return LABEL
    if aliases & names:
        return ALIAS
    expanded = set().union(*(lexicon.synonyms.expand(t) for t in {label, *aliases}))
    if expanded & names:
        return SYNONYM
    if _vocabulary_match(target, credential, vocabulary=lexicon.vocabulary):
        return VOCABULARY
    return None


def _names(credential: Credential) -> list[str]:
    found = [credential.achievement] if credential.achievement else []
    return found + [a["targetName"] for a in credential.alignments if a.get("targetName")]


def _aligned(concept: ConceptRef, alignment: dict) -> bool:
    if concept.uri and alignment.get("targetUrl") and concept.uri.strip() == alignment["targetUrl"].strip():
        return True
    return bool(concept.code and alignment.get("targetCode")
                and concept.code.strip().casefold() == alignment["targetCode"].strip().casefold()
                and normalise_framework(concept.framework) == normalise_framework(alignment.get("targetFramework")))


def _vocabulary_match(target: Target, credential: Credential, *, vocabulary: Vocabulary) -> bool:
    wanted = _target_concepts(target, vocabulary)
    if not wanted:
        return False
    return any(vocabulary.broader_closure(held) & wanted for held in _credential_concepts(credential, vocabulary))


def _target_concepts(target: Target, vocabulary: Vocabulary) -> set[str]:
    found = set()
    if target.concept is not None:
        coded = vocabulary.concept_for_code(target.concept.framework, code=target.concept.code, uri=target.concept.uri)
        found |= {coded} if coded else set()
    for term in (target.label, *target.aliases):
        found |= vocabulary.concepts_for_term(normalise(term))
    return found


def _credential_concepts(credential: Credential, vocabulary: Vocabulary) -> set[str]:
    found = set()
    for name in _names(credential):
        found |= vocabulary.concepts_for_term(normalise(name))
    for a in credential.alignments:
        coded = vocabulary.concept_for_code(a.get("targetFramework"), code=a.get("targetCode"), uri=a.get("targetUrl"))
        found |= {coded} if coded else set()
    return found


# Check codes verification gives (services/verification/report.py and status.py); stable by its contract.
STATUS_REVOCATION, STATUS_SUSPENSION, VALIDITY_EXPIRY = "status.revocation", "status.suspension", "validity.expiry"


def standing_of(report: dict | None, *, now: datetime) -> str:
    """The verdict refined for recruiters: revoked / suspended / expired when that is what the report shows."""
    if not report:
        return UNVERIFIED
    verdict = report.get("verdict")
    if verdict == FAILED:
        return _named_failure(report) or FAILED
    if verdict in (VERIFIED, INDETERMINATE) and _lapsed(report, now=now):
        # A verdict given before the credential's validUntil goes stale once that date passes, and an
        # undecided status list cannot make an expired credential count again.
        return EXPIRED
    return verdict if verdict in (VERIFIED, INDETERMINATE, UNSUPPORTED) else UNVERIFIED


def _named_failure(report: dict) -> str | None:
    """Revoked, suspended or expired, read from the report's `status` ({revoked, suspended}: true, false or
    null) and the codes of its failed checks; never from messages, which can quote issuer-supplied text."""
    state = report.get("status") if isinstance(report.get("status"), dict) else {}
    failed = {c.get("code") for c in report.get("checks") or [] if isinstance(c, dict) and c.get("status") == FAILED}
    # Revocation is final, so it names the standing even if the credential is also suspended or expired.
    # (An OB 2.0 badge has no `status`: its revocation shows only as a failed status.revocation check.)
    if state.get("revoked") is True or STATUS_REVOCATION in failed:
        return REVOKED
    if state.get("suspended") is True or STATUS_SUSPENSION in failed:
        return SUSPENDED
    # Without a valid_until, validity.expiry failed on an unreadable date: a bad credential, not an old one.
    if VALIDITY_EXPIRY in failed and parse_time(report.get("valid_until")) is not None:
        return EXPIRED
    return None


def _lapsed(report: dict, *, now: datetime) -> bool:
    until = parse_time(report.get("valid_until"))
    return until is not None and until <= now


def parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
