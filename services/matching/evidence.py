"""What one credential is worth as evidence: its standing (verified, revoked, expired...) and whether it shows a competency.

A credential shows a competency by, in this order (the first that applies names the match):
  1. `alignment`  — an OB 3.0 alignment whose targetUrl equals the concept's uri, or whose
                    targetCode + targetFramework equal the concept's code and framework;
  2. `label`      — the achievement name or an alignment's targetName equals the competency's label,
     `alias`        one of its aliases, or
     `synonym`      a word the tenant declared equivalent — all compared normalised (terms.normalise);
  3. `vocabulary` — the vocabulary (the ESCO taxonomy with the starter vocabulary folded in, or the
                    starter vocabulary alone) maps both to one concept by a label or an alternative
                    label, or the credential's concept is narrower than the requirement's (Python
                    evidence shows "computer programming"; the reverse does not hold);
  4. `fuzzy`      — with the taxonomy only: an ESCO label found inside the credential's title, or the
                    closest label by rapidfuzz (skills/recognise.py), names the requirement's concept;
                    or the title, its credential wording set aside, is at least FUZZY_THRESHOLD similar
                    to the requirement's label or an alias.
Each match says how sure it is (`confidence`, 0–1: 1 for the first three kinds, less for fuzzy ones) and,
for vocabulary and fuzzy ones, the label or phrase that made it (`via`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from services.matching.skills.recognise import CREDENTIAL_WORDS, FUZZY_THRESHOLD, LABEL as RECOGNISED_LABEL
from services.matching.skills.recognise import recognise_title
from services.matching.skills.taxonomy import Taxonomy
from services.matching.terms import Synonyms, Vocabulary, normalise, normalise_framework

# Standings a credential can have; only VERIFIED is evidence.
VERIFIED, FAILED, REVOKED, SUSPENDED, EXPIRED = "verified", "failed", "revoked", "suspended", "expired"
INDETERMINATE, UNSUPPORTED, UNVERIFIED = "indeterminate", "unsupported", "unverified"
# Genuine, perhaps, but nothing ties it to this candidate (it names no email of theirs): it never becomes evidence.
RECIPIENT_UNCONFIRMED = "recipient_unconfirmed"
NOT_EVIDENCE = (FAILED, REVOKED, SUSPENDED, EXPIRED, UNSUPPORTED, RECIPIENT_UNCONFIRMED)
# No verdict came within the verification deadline (services/matching/deadlines.py): scored without it.
UNAVAILABLE = "unavailable"

ALIGNMENT, LABEL, ALIAS, SYNONYM, VOCABULARY = "alignment", "label", "alias", "synonym", "vocabulary"
FUZZY = "fuzzy"
MATCH_RANK = {ALIGNMENT: 0, LABEL: 1, ALIAS: 2, SYNONYM: 3, VOCABULARY: 4, FUZZY: 5}


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
    issuer_trusted: str | None = None     # the status of the report's issuer.trusted check
    endorsements: tuple[dict, ...] = ()   # the report's OB 3.0 endorsements (verification's endorsements.py)
    tier: str | None = None               # the issuer's credibility tier (credibility.py), once looked up
    tier_why: str | None = None
    awaited_until: datetime | None = None  # unverified: when its verification deadline passes
    reason: str | None = None              # unavailable: why it has no verdict

    def __post_init__(self) -> None:
        if self.standing is None:
            known = self.verdict in (VERIFIED, FAILED, INDETERMINATE, UNSUPPORTED)
            object.__setattr__(self, "standing", self.verdict if known else UNVERIFIED)

    def to_dict(self) -> dict:
        issuer = {"id": self.issuer_id, "name": self.issuer_name}
        if self.tier is not None:
            issuer.update(tier=self.tier, tier_why=self.tier_why)
        found = {"credential_id": self.credential_id, "verdict": self.verdict, "status": self.standing,
                 "achievement": self.achievement, "achieved_level": self.achieved_level,
                 "issued_at": self.issued_at, "issuer": issuer}
        return found if self.reason is None else {**found, "reason": self.reason}


@dataclass(frozen=True)
class Lexicon:
    """The words matching compares with: the tenant's synonyms and a vocabulary; with the ESCO taxonomy
    (whose vocabulary it then is), fuzzy matches too."""
    synonyms: Synonyms = Synonyms()
    vocabulary: Vocabulary = Vocabulary()
    taxonomy: Taxonomy | None = None

    @classmethod
    def with_taxonomy(cls, taxonomy: Taxonomy, *, synonyms: Synonyms | None = None) -> "Lexicon":
        return cls(synonyms=synonyms or Synonyms(), vocabulary=taxonomy.vocabulary, taxonomy=taxonomy)


@dataclass(frozen=True)
class Match:
    """How a credential shows a target, how sure that is (0–1), and the label or phrase that made it."""
    kind: str
    confidence: float = 1.0
    via: str = ""


def match(target: Target, credential: Credential, *, lexicon: Lexicon) -> str | None:
    """How the credential shows the target (ALIGNMENT ... FUZZY), or None if it does not."""
    found = match_detail(target, credential, lexicon=lexicon)
    return found.kind if found else None


def match_detail(target: Target, credential: Credential, *, lexicon: Lexicon) -> Match | None:
    """The first way (in the module docstring's order) the credential shows the target, or None."""
    if target.concept is not None and any(_aligned(target.concept, a) for a in credential.alignments):
        return Match(ALIGNMENT)
    names = {normalise(n) for n in _names(credential)}
    label, aliases = normalise(target.label), {normalise(a) for a in target.aliases}
    if label in names:
        return Match(LABEL)
    if aliases & names:
        return Match(ALIAS)
    expanded = set().union(*(lexicon.synonyms.expand(t) for t in {label, *aliases}))
    if expanded & names:
        return Match(SYNONYM)
    if _vocabulary_match(target, credential, vocabulary=lexicon.vocabulary):
        return Match(VOCABULARY)
    if lexicon.taxonomy is not None:
        return _fuzzy_match(target, credential, taxonomy=lexicon.taxonomy)
    return None


def _fuzzy_match(target: Target, credential: Credential, *, taxonomy: Taxonomy) -> Match | None:
    wanted = _target_concepts(target, taxonomy.vocabulary)
    best: Match | None = None
    for name in _names(credential):
        for found in recognise_title(name, taxonomy):
            if wanted and taxonomy.vocabulary.broader_closure(found.concept) & wanted:
                kind = VOCABULARY if found.kind == RECOGNISED_LABEL else FUZZY
                best = _better(best, Match(kind, found.confidence, taxonomy.preferred.get(found.concept, "")))
        core = _core(name)
        for term in (target.label, *target.aliases):
            similarity = fuzz.ratio(core, _core(term)) if core else 0.0
            if similarity >= FUZZY_THRESHOLD:
                best = _better(best, Match(FUZZY, round(similarity / 100 * 0.85, 2), term))
    return best


def _better(current: Match | None, other: Match) -> Match:
    if current is None or (MATCH_RANK[other.kind], -other.confidence) < (MATCH_RANK[current.kind], -current.confidence):
        return other
    return current


def _core(text: str) -> str:
    return " ".join(w for w in normalise(text).split() if w not in CREDENTIAL_WORDS)


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


def target_concepts(target: Target, vocabulary: Vocabulary) -> set[str]:
    """The vocabulary's concepts the target names: by its concept's code or uri, its label or an alias."""
    return _target_concepts(target, vocabulary)


def shown_concepts(credential: Credential, *, lexicon: Lexicon) -> set[str]:
    """The concepts a credential shows: by alignment or label, and with the taxonomy, as recognised in its title."""
    found = _credential_concepts(credential, lexicon.vocabulary)
    if lexicon.taxonomy is not None:
        for name in _names(credential):
            found |= {f.concept for f in recognise_title(name, lexicon.taxonomy)}
    return found


def _target_concepts(target: Target, vocabulary: Vocabulary) -> set[str]:
    found = set()
    if target.concept is not None:
        coded = vocabulary.concept_for_code(target.concept.framework, code=target.concept.code, uri=target.concept.uri)
        found |= {coded} if coded else set()
    for term in (target.label, *target.aliases):
        found |= vocabulary.concepts_for_term(normalise(term))
    return found


def _credential_concepts(credential: Credential, vocabulary: Vocabulary) -> set[str]:
    found: set[str] = set()
    for name in _names(credential):
        found |= vocabulary.concepts_for_term(normalise(name))
    for a in credential.alignments:
        coded = vocabulary.concept_for_code(a.get("targetFramework"), code=a.get("targetCode"), uri=a.get("targetUrl"))
        found |= {coded} if coded else set()
    return found


# Check codes verification gives (services/verification/report.py and status.py); stable by its contract.
STATUS_REVOCATION, STATUS_SUSPENSION, VALIDITY_EXPIRY = "status.revocation", "status.suspension", "validity.expiry"
RECIPIENT = "recipient"
SKIPPED = "skipped"  # a check's status: verification's report.SKIPPED


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
    if verdict in (VERIFIED, INDETERMINATE) and _recipient_unconfirmed(report):
        # Waiting will not help: the credential does not say whose it is, or the ATS gave no email address
        # to compare it with (the check was skipped); either way it would count for whoever submitted it.
        return RECIPIENT_UNCONFIRMED
    return verdict if verdict in (VERIFIED, INDETERMINATE, UNSUPPORTED) else UNVERIFIED


def _recipient_unconfirmed(report: dict) -> bool:
    return any(isinstance(c, dict) and c.get("code") == RECIPIENT and c.get("status") in (INDETERMINATE, SKIPPED)
               for c in report.get("checks") or [])


def _named_failure(report: dict) -> str | None:
    """Revoked, suspended or expired, read from the report's `status` ({revoked, suspended}: true, false or
    null) and the codes of its failed checks; never from messages, which can quote issuer-supplied text."""
    state = status if isinstance(status := report.get("status"), dict) else {}
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


def parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
