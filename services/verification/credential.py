"""The credential body, whatever secures it: VC structure rules, validity dates, Open Badges 3.0 normalisation.

Every VC format (VC-JWT now; Data Integrity proofs later) hands its unsecured credential to these
functions, so the achievement a report shows is extracted the same way for all of them.
Sources: VC Data Model 1.1 §4.1 (contexts), §4.3 (types), §4.4 (credentialSubject);
VC Data Model 2.0 §4.9 (validFrom / validUntil); Open Badges 3.0 §B.1 (OpenBadgeCredential,
AchievementSubject, Achievement, Alignment, Result).
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.verification.report import STRUCTURE_VC, Check, failed, passed

VC_CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2")
OB3_TYPES = ("OpenBadgeCredential", "AchievementCredential")  # OB 3.0 §B.1.1: the second is an alias
_ALIGNMENT_FIELDS = ("targetUrl", "targetCode", "targetFramework", "targetName", "targetType")
_MAX_TEXT = 2000  # reports are stored and published: bound what one credential can put in them


def types_of(node: dict) -> list[str]:
    """A JSON-LD `type` is a string or a list of strings."""
    value = node.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def is_credential(doc: object) -> bool:
    return isinstance(doc, dict) and "VerifiableCredential" in types_of(doc)


def check_structure(vc: object) -> Check:
    """structure.vc: the body is a VerifiableCredential with a subject; a badge's subject names an achievement."""
    if not isinstance(vc, dict):
        return failed(STRUCTURE_VC, "the credential is not a JSON object")
    problems = _structure_problems(vc)
    if problems:
        return failed(STRUCTURE_VC, "; ".join(problems))
    kind = "an Open Badges 3.0 credential" if _is_badge(vc) else "a VerifiableCredential"
    return passed(STRUCTURE_VC, f"the credential is {kind} with a credentialSubject")


def _structure_problems(vc: dict) -> list[str]:
    problems = []
    contexts = vc.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first not in VC_CONTEXTS:  # VC DM 1.1 §4.1 / 2.0 §4.3: the base context comes first
        problems.append("@context does not start with the W3C credentials context")
    if "VerifiableCredential" not in types_of(vc):
        problems.append("type does not include VerifiableCredential")
    subjects = _subjects(vc)
    if not subjects:
        problems.append("credentialSubject is missing")
    elif _is_badge(vc) and _achievement_node(subjects) is None:
        problems.append("the OpenBadgeCredential's credentialSubject has no achievement")
    return problems


def _is_badge(vc: dict) -> bool:
    return any(t in OB3_TYPES for t in types_of(vc))


def _subjects(vc: dict) -> list[dict]:
    subject = vc.get("credentialSubject")
    if isinstance(subject, dict):
        return [subject]
    if isinstance(subject, list):
        return [s for s in subject if isinstance(s, dict)]
    return []


def _achievement_node(subjects: list[dict]) -> tuple[dict, dict] | None:
    for subject in subjects:
        if isinstance(subject.get("achievement"), dict):
            return subject, subject["achievement"]
    return None


def achievement(vc: object) -> dict | None:
    """The OB 3.0 achievement (id, name, type, description, criteria, alignments, achieved_level), or None."""
    found = _achievement_node(_subjects(vc)) if isinstance(vc, dict) else None
    if found is None:
        return None
    subject, node = found
    return {
        "id": _text(node.get("id")),
        "name": _text(node.get("name")),
        "type": types_of(node),
        "description": _text(node.get("description")),
        "criteria": _criteria(node.get("criteria")),
        "alignments": [_alignment(a) for a in _list(node.get("alignment")) if isinstance(a, dict)],
        "achieved_level": _achieved_level(subject),
        "levels": _rubric_levels(node, _achieved_level(subject)),
    }


def _rubric_levels(node: dict, achieved: str | None) -> list[dict]:
    """The rubric levels of the ResultDescription the achieved level belongs to (else the first rubric),
    as listed: OB 3.0 §B.1.19 ResultDescription.rubricCriterionLevel, each {id, name}."""
    rubrics = [[lvl for lvl in _list(rd.get("rubricCriterionLevel")) if isinstance(lvl, dict)]
               for rd in _list(node.get("resultDescription")) if isinstance(rd, dict)]
    rubrics = [r for r in rubrics if r]
    chosen = next((r for r in rubrics if achieved and any(_text(lvl.get("id")) == achieved for lvl in r)),
                  rubrics[0] if rubrics else [])
    return [{"id": _text(lvl.get("id")), "name": _text(lvl.get("name"))} for lvl in chosen]


def _criteria(criteria: object) -> str | None:
    # OB 3.0 Criteria: a narrative, or only an id (a URL describing the criteria).
    if isinstance(criteria, dict):
        return _text(criteria.get("narrative")) or _text(criteria.get("id"))
    return None


def _alignment(node: dict) -> dict:
    return {name: _text(node.get(name)) for name in _ALIGNMENT_FIELDS}


def _achieved_level(subject: dict) -> str | None:
    # OB 3.0 Result.achievedLevel: the id of the RubricCriterionLevel the learner reached.
    for result in _list(subject.get("result")):
        if isinstance(result, dict) and _text(result.get("achievedLevel")):
            return _text(result.get("achievedLevel"))
    return None


def issuer(vc: object, *, fallback_id: str | None = None) -> dict | None:
    """{id, name} of the issuer as the credential states it (a string IRI or a Profile object)."""
    node = vc.get("issuer") if isinstance(vc, dict) else None
    if isinstance(node, str):
        return {"id": _text(node), "name": None}
    if isinstance(node, dict):
        return {"id": _text(node.get("id")) or fallback_id, "name": _text(node.get("name"))}
    return {"id": fallback_id, "name": None} if fallback_id else None


def issuer_id(vc: object) -> tuple[bool, str | None]:
    """(stated, id): whether the credential names an issuer at all, and the id it gives (None if unusable)."""
    node = vc.get("issuer") if isinstance(vc, dict) else None
    if node is None:
        return False, None
    value = node.get("id") if isinstance(node, dict) else node
    return True, value if isinstance(value, str) and value else None


def dates(vc: object, *names: str) -> list[tuple[str, datetime]]:
    """The named date properties that are present, parsed; ValueError names the first unparseable one."""
    found = []
    for name in names:
        raw = vc.get(name) if isinstance(vc, dict) else None
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise ValueError(f"{name} is not a date-time string")
        found.append((name, parse_datetime(raw, name)))
    return found


def parse_datetime(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date-time") from None
    # VC DM 1.1 allows an xsd:dateTime without a zone; reading it as UTC is the common convention.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else None
