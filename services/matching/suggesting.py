"""Suggesting a role's requirements from its job description: the service layer over skills/suggest.py."""
from __future__ import annotations

from shared.problems import Problem

from services.matching import service
from services.matching.evidence import ConceptRef, Target, target_concepts
from services.matching.repository import MatchingRepository
from services.matching.skills.suggest import as_requirement, suggest
from services.matching.skills.taxonomy import Taxonomy, esco_taxonomy

NOTE = ("Suggestions only: nothing is scored on them until you PUT the ones you accept (edited as you like) "
        "in the role's requirements.")


def suggest_for_role(tenant: str, role_id: str, *, description: str | None, repo: MatchingRepository,
                     taxonomy: Taxonomy | None = None) -> dict:
    """Suggested requirements for the tenant's role, from the description given or else the role's own."""
    role = repo.get_role(tenant, role_id)
    if role is None:
        raise service.NotFound(f"no role {role_id!r}")
    text, source = (description, "body") if description is not None else (role.get("description"), "role")
    if not text or not text.strip():
        raise Problem(422, "No Job Description",
                      "Send {\"description\": \"...\"} or PUT the role with its description first.",
                      errors={"description": ["The role has no description and the request gave none."]})
    taxonomy = taxonomy or esco_taxonomy()
    required = _required_concepts(role, taxonomy)
    found = suggest(text, taxonomy)
    return {"role_id": role_id, "description_from": source, "taxonomy": taxonomy.source.get("name", ""), "note": NOTE,
            "suggestions": [{"competency": s.label, "concept": taxonomy.concept_ref(s.concept), "phrase": s.phrase,
                             "mentions": s.mentions, "importance": s.importance, "importance_cue": s.importance_cue,
                             "confidence": s.confidence, "already_required": s.concept in required,
                             "requirement": as_requirement(s, taxonomy)} for s in found]}


def _required_concepts(role: dict, taxonomy: Taxonomy) -> set[str]:
    found: set[str] = set()
    for r in role.get("requirements", []):
        concept = r.get("concept")
        ref = ConceptRef(concept.get("framework"), concept.get("code"), concept.get("uri")) if concept else None
        found |= target_concepts(Target(r["competency"], tuple(r.get("aliases") or ()), ref), taxonomy.vocabulary)
    return found
