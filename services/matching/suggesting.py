"""Suggesting a role's requirements from its job description: the service layer over skills/suggest.py."""
from __future__ import annotations

from shared.problems import Problem

from services.matching import service
from services.matching.evidence import ConceptRef, Target, target_concepts
from services.matching.job_descriptions import JobDescriptions
from services.matching.repository import MatchingRepository
from services.matching.skills.suggest import as_requirement, suggest
from services.matching.skills.taxonomy import Taxonomy, esco_taxonomy

NOTE = ("Suggestions only: nothing is scored on them until you PUT the ones you accept (edited as you like) "
        "in the role's requirements.")


def suggest_for_role(tenant: str, role_id: str, *, description: str | None, repo: MatchingRepository,
                     taxonomy: Taxonomy | None = None, descriptions: JobDescriptions | None = None) -> dict:
    """Suggested requirements for the tenant's role, from the description given, else the recruiter's own, else the
    advert the ATS's job API gave for the role's job (job_descriptions.py)."""
    role = repo.get_role(tenant, role_id)
    if role is None:
        raise service.NotFound(f"no role {role_id!r}")
    text, source = _description(tenant, role, given=description, descriptions=descriptions)
    if not text or not text.strip():
        raise Problem(422, "No Job Description",
                      "Send {\"description\": \"...\"} or PUT the role with its description first; the ATS has "
                      "given no advert for its job yet.",
                      errors={"description": ["The role has no description and the request gave none."]})
    taxonomy = taxonomy or esco_taxonomy()
    required = _required_concepts(role, taxonomy)
    found = suggest(text, taxonomy)
    return {"role_id": role_id, "description_from": source, "taxonomy": taxonomy.source.get("name", ""), "note": NOTE,
            "suggestions": [{"competency": s.label, "concept": taxonomy.concept_ref(s.concept), "phrase": s.phrase,
                             "mentions": s.mentions, "importance": s.importance, "importance_cue": s.importance_cue,
                             "confidence": s.confidence, "already_required": s.concept in required,
                             "requirement": as_requirement(s, taxonomy)} for s in found]}


def _description(tenant: str, role: dict, *, given: str | None,
                 descriptions: JobDescriptions | None) -> tuple[str | None, str]:
    if given is not None:
        return given, "body"
    own = role.get("description")
    if (own and own.strip()) or descriptions is None:
        return own, "role"
    advert = descriptions.for_role(tenant, role)
    return (advert["text"], "ats") if advert is not None else (None, "role")


def _required_concepts(role: dict, taxonomy: Taxonomy) -> set[str]:
    found: set[str] = set()
    for r in role.get("requirements", []):
        concept = r.get("concept")
        ref = ConceptRef(concept.get("framework"), concept.get("code"), concept.get("uri")) if concept else None
        found |= target_concepts(Target(r["competency"], tuple(r.get("aliases") or ()), ref), taxonomy.vocabulary)
    return found
