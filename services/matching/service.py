"""The matching service layer: re-score an application, manage roles, and build what the API shows."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol

from shared.events import Event, derive_id, new_event
from shared.settings import Settings

from services.matching import credibility, deadlines, metrics, ranking, scoring
from services.matching.evidence import ConceptRef, Lexicon, Target, parse_time, standing_of
from services.matching.repository import MatchingRepository, SaveOutcome, role_coverage
from services.matching.skills.taxonomy import esco_taxonomy
from services.matching.terms import Synonyms

Publish = Callable[[list[Event]], None]
Clock = Callable[[], datetime]

AWAITING_APPLICATION = "awaiting_application"
UNSCORED_RANK = -1
PENDING_RANK = -2  # below the ranked range: pending applications are listed apart (status=pending)
VERIFY_DEADLINE_S: float = Settings.matching_verify_deadline_s  # the setting's default


class ScoreStore(Protocol):
    """What scoring one application reads and writes: MatchingRepository, or one poll batch's BatchStore."""

    def resolve_role(self, tenant: str, job_id: str) -> dict | None: ...

    def evidence_for(self, tenant: str, application_id: str, *, credential_ids: list[str]) -> list[dict]: ...

    def get_credibility(self, tenant: str) -> list[dict]: ...

    def get_synonyms(self, tenant: str) -> list[list[str]]: ...

    def save_score(self, doc: dict) -> SaveOutcome: ...

    def drop_superseded_scores(self, tenant: str, application_id: str, *, role_id: str,
                               input_revision: int) -> None: ...

    def mark_published(self, *, tenant: str, application_id: str, role_id: str, input_revision: int,
                       fingerprint: str | None, score_id: object = None) -> None: ...


class NotFound(Exception):
    """The tenant has no such role or application (another tenant's counts as none)."""


def utcnow() -> datetime:
    # Milliseconds, as BSON stores them, so the published computed_at equals the stored one.
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# --- scoring an application ----------------------------------------------------------------------
def rescore_application(tenant: str, application: dict, *, repo: ScoreStore, publish: Publish,
                        clock: Clock = utcnow, trace_id: str | None = None,
                        verify_deadline_s: float = VERIFY_DEADLINE_S) -> dict | None:
    """Scores an application as stored right after its revision bump; returns the score if it was stored.

    Every input is read after the bump, so the computation with the highest revision has seen
    every input written before any bump: storing only newer revisions makes concurrent workers
    converge on the right score.

    A pending score (verdicts outstanding) is stored and served as `pending` but never published on
    scores.computed: what is announced there (for an ATS write-back) is final.
    """
    if not application.get("job_id"):
        return None  # a verdict came first; the application event will trigger the score
    role = repo.resolve_role(tenant, application["job_id"])
    evidence = repo.evidence_for(tenant, application["application_id"],
                                 credential_ids=application.get("credential_ids", []))
    now = clock()
    held = credibility.with_standing(credentials_of(application, evidence, now=now, deadline_s=verify_deadline_s),
                                     listed=credibility.CredibilityList.from_dicts(repo.get_credibility(tenant)))
    result = scoring.score_application(requirements=requirements_of(role), computed_at=now, credentials=held,
                                       lexicon=lexicon_for(tenant, repo=repo))
    doc = score_document(tenant, application, role=role, result=result)
    outcome = repo.save_score(doc)
    if not outcome.applied:
        return None  # a newer computation already stored its score and published it
    repo.drop_superseded_scores(tenant, doc["application_id"], role_id=doc["role_id"],
                                input_revision=doc["input_revision"])
    metrics.record_score(status=result.status, score=result.score)
    # Publish only what a recruiter would see change; a score stored but never announced (a
    # crash or broker outage in between) differs from the last announced one and goes out now.
    final = result.status != scoring.PENDING
    if final and doc["fingerprint"] != (outcome.previous or {}).get("published_fingerprint"):
        publish([score_event(doc, trace_id=trace_id)])
    # A pending score needs no announcing; the last announced fingerprint stays what it was.
    repo.mark_published(tenant=tenant, application_id=doc["application_id"], role_id=doc["role_id"],
                        input_revision=doc["input_revision"], fingerprint=doc["fingerprint"] if final else None,
                        score_id=outcome.score_id)
    return doc


def lexicon_for(tenant: str, *, repo: ScoreStore) -> Lexicon:
    return Lexicon.with_taxonomy(esco_taxonomy(), synonyms=Synonyms.from_groups(repo.get_synonyms(tenant)))


def requirements_of(role: dict | None) -> list[scoring.Requirement] | None:
    if role is None:
        return None
    policy = credibility.Policy.from_dict(role.get("credibility"))
    return [_requirement(r, policy=policy) for r in role.get("requirements", [])]


def _requirement(r: dict, *, policy: credibility.Policy | None = None) -> scoring.Requirement:
    stack = r.get("any_of")
    return scoring.Requirement(
        id=r["id"], competency=r["competency"], importance=r["importance"], weight=float(r["weight"]),
        aliases=tuple(r.get("aliases") or ()), concept=_concept(r.get("concept")), min_level=r.get("min_level"),
        max_age_months=r.get("max_age_months"), narrower_count=(r.get("narrower") or {}).get("count"),
        credibility=policy,
        any_of=scoring.Stack(count=stack["count"], of=tuple(_target(i) for i in stack["of"])) if stack else None)


def _target(item: dict) -> Target:
    return Target(item["label"], tuple(item.get("aliases") or ()), _concept(item.get("concept")))


def _concept(node: dict | None) -> ConceptRef | None:
    return ConceptRef(node.get("framework"), node.get("code"), node.get("uri")) if node else None


def credentials_of(application: dict, evidence: Iterable[dict], *, now: datetime,
                   deadline_s: float | None = None) -> list[scoring.Credential]:
    """Every credential the application lists or that was verified for it; unverified ones have no verdict.

    With `deadline_s`, one listed longer than that without a verdict is unavailable (deadlines.py).
    """
    by_id = {e["credential_id"]: e for e in evidence}
    ids = set(application.get("credential_ids") or []) | set(by_id)
    return [_credential(cid, by_id[cid], now=now) if cid in by_id else
            deadlines.awaited(cid, since=deadlines.listed_since(application, cid), now=now, deadline_s=deadline_s)
            for cid in sorted(ids)]


def _credential(credential_id: str, evidence: dict, *, now: datetime) -> scoring.Credential:
    report = evidence.get("report") or {}
    achievement = report.get("achievement") or {}
    issuer = report.get("issuer") or {}
    return scoring.Credential(
        credential_id=credential_id, verdict=report.get("verdict"), standing=standing_of(report, now=now),
        achievement=_text(achievement.get("name")), alignments=_alignments(achievement.get("alignments")),
        achieved_level=_level_text(achievement.get("achieved_level")), levels=_levels(achievement),
        issued_at=parse_time(report.get("valid_from")),
        issuer_id=_text(issuer.get("id")), issuer_name=_text(issuer.get("name")), issuer_trusted=_trusted(report),
        endorsements=tuple(e for e in report.get("endorsements") or [] if isinstance(e, dict)))


def _trusted(report: dict) -> str | None:
    # The status of verification's issuer.trusted check (services/verification/trust.py), by its stable code.
    return next((c.get("status") for c in report.get("checks") or []
                 if isinstance(c, dict) and c.get("code") == "issuer.trusted"), None)


def _alignments(nodes) -> tuple[dict, ...]:
    keys = ("targetUrl", "targetCode", "targetFramework", "targetName")
    return tuple({k: _text(n.get(k)) for k in keys} for n in (nodes or []) if isinstance(n, dict))


def _levels(achievement: dict) -> tuple[tuple[str, ...], ...]:
    # The rubric's levels, lowest first (OB 3.0 orders allowed values low to high); each a name or {id, name}.
    found = []
    for level in achievement.get("levels") or achievement.get("rubric_levels") or []:
        if isinstance(level, dict):
            names = tuple(t for t in (_text(level.get("id")), _text(level.get("name"))) if t)
            if names:
                found.append(names)
        elif text := _level_text(level):
            found.append((text,))
    return tuple(found)


def _level_text(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _text(value) -> str | None:
    # Reports carry issuer-supplied JSON; anything but a non-empty string is treated as absent.
    return value if isinstance(value, str) and value.strip() else None


def score_document(tenant: str, application: dict, *, role: dict | None, result: scoring.ScoreResult) -> dict:
    body = result.to_dict()
    doc = {"tenant": tenant, "application_id": application["application_id"], "job_id": application["job_id"],
           # Without a role the score is filed under the job id, which is the id its role will have.
           "role_id": role["role_id"] if role else application["job_id"],
           "role_revision": role["revision"] if role else 0,
           "input_revision": application["revision"], "candidate_id": application.get("candidate_id"), **body,
           # One sortable number: unscored applications rank below every score, pending ones apart (queries.py).
           "rank_score": _rank_score(result),
           # Whether, and how high, this application is a fence in its bucket of the ranking (ranking.py).
           "rank_level": ranking.rank_level(application["application_id"]),
           # Cleared once the score is announced (or needs no announcing): until then the
           # rescorer must not count it as done.
           "pending_publish": True}
    doc["fingerprint"] = _fingerprint(doc)
    return doc


def _rank_score(result: scoring.ScoreResult) -> int:
    if result.status == scoring.PENDING:
        return PENDING_RANK
    return result.score if result.score is not None else UNSCORED_RANK


def _fingerprint(doc: dict) -> str:
    # What a recruiter would see change; computed_at and revisions alone are not a new score.
    content = {k: v for k, v in doc.items()
               if k not in ("computed_at", "input_revision", "role_revision", "tenant", "pending_publish",
                            "rank_score", "rank_level", "candidate_id", "pending_until")}
    return derive_id("score-content", json.dumps(content, sort_keys=True, default=str))


def score_event(doc: dict, *, trace_id: str | None) -> Event:
    """The scores.computed event announcing a stored final score."""
    return new_event(
        "score.computed", tenant=doc["tenant"], trace_id=trace_id,
        event_id=derive_id("score", doc["tenant"], doc["application_id"], str(doc["input_revision"])),
        payload={"application_id": doc["application_id"], "role_id": doc["role_id"], "status": doc["status"],
                 "score": doc["score"], "score_version": doc["score_version"],
                 "computed_at": doc["computed_at"].isoformat(), "reason": doc.get("reason"),
                 "requirements": [{k: r.get(k) for k in ("id", "competency", "status", "reason")}
                                  for r in doc.get("requirements") or []]})


# --- roles ---------------------------------------------------------------------------------------
def put_role(tenant: str, role_id: str, *, body: dict, repo: MatchingRepository) -> tuple[dict, bool]:
    """Creates or replaces a role; the worker's rescorer re-scores its applications in the background."""
    role, created = repo.put_role(tenant, role_id, title=body["title"], requirements=body["requirements"],
                                  job_ids=body.get("job_ids", []), description=body.get("description"),
                                  credibility=body.get("credibility"))
    return role_view(tenant, role, repo=repo), created


def get_role(tenant: str, role_id: str, *, repo: MatchingRepository) -> dict:
    role = repo.get_role(tenant, role_id)
    if role is None:
        raise NotFound(f"no role {role_id!r}")
    return role_view(tenant, role, repo=repo)


def delete_role(tenant: str, role_id: str, *, repo: MatchingRepository) -> None:
    if not repo.delete_role(tenant, role_id):
        raise NotFound(f"no role {role_id!r}")


def list_roles(tenant: str, *, after: str, limit: int, repo: MatchingRepository) -> dict:
    roles = repo.list_roles(tenant, after=after, limit=limit)
    return {"roles": [_role_fields(r) for r in roles],
            "next_after": roles[-1]["role_id"] if len(roles) == limit else None}


def role_view(tenant: str, role: dict, *, repo: MatchingRepository) -> dict:
    return {**_role_fields(role), "rescoring": rescoring_progress(tenant, role, repo=repo)}


def _role_fields(role: dict) -> dict:
    return {k: role.get(k) for k in ("role_id", "title", "description", "requirements", "credibility", "job_ids",
                                     "revision", "created_at", "updated_at")}


def rescoring_progress(tenant: str, role: dict, *, repo: MatchingRepository) -> dict:
    plan = role.get("rescoring") or {}
    if not plan.get("active"):
        return {"pending": 0, "done": plan.get("done", 0)}
    job_ids = plan.get("job_ids") or role_coverage(role["role_id"], role.get("job_ids", []))
    pending = repo.count_applications_for_jobs(tenant, job_ids, after=plan.get("cursor", ""))
    return {"pending": pending, "done": plan.get("done", 0)}


# --- what a recruiter sees -----------------------------------------------------------------------
def score_view(tenant: str, application_id: str, *, repo: MatchingRepository) -> dict:
    application = repo.get_application(tenant, application_id)
    if application is None:
        raise NotFound(f"no application {application_id!r}")
    if not application.get("job_id"):
        return _placeholder(tenant, application, repo=repo, status=AWAITING_APPLICATION,
                            reason="credentials were verified before the application itself arrived")
    stored = repo.latest_score(tenant, application_id)
    if stored is None:
        # Stored, not scored yet (the worker scores at its batch's end): not a score of any kind yet.
        return _placeholder(tenant, application, repo=repo, status=scoring.PENDING, reason="scoring in progress")
    return {**{k: stored.get(k) for k in ("application_id", "role_id", "status", "score", "score_version",
                                         "computed_at", "reason", "requirements", "credentials")},
            "unretrieved": unretrieved_of(application)}


def unretrieved_of(application: dict) -> list[dict]:
    """Credentials ingest found but could not retrieve: shown to the recruiter, never counted."""
    entries = sorted((application.get("unretrieved") or {}).values(), key=lambda e: e["provenance"])
    return [{**e, "status": "could not be retrieved"} for e in entries]


def _placeholder(tenant: str, application: dict, *, repo: MatchingRepository, status: str, reason: str) -> dict:
    evidence = repo.evidence_for(tenant, application["application_id"],
                                 credential_ids=application.get("credential_ids", []))
    return {"application_id": application["application_id"], "role_id": application.get("job_id"),
            "status": status, "score": None, "score_version": scoring.SCORE_VERSION, "computed_at": None,
            "reason": reason, "requirements": [],
            "credentials": [c.to_dict() for c in credentials_of(application, evidence, now=utcnow())],
            "unretrieved": unretrieved_of(application)}


# --- the tenant's synonyms -----------------------------------------------------------------------
def put_synonyms(tenant: str, *, groups: list[list[str]], repo: MatchingRepository) -> dict:
    """Replaces the tenant's synonyms and re-scores every role's applications with them (in the background)."""
    repo.put_synonyms(tenant, groups)
    replan_roles(tenant, repo=repo)
    return {"groups": repo.get_synonyms(tenant)}


def replan_roles(tenant: str, *, repo: MatchingRepository) -> None:
    """Plans the re-scoring of every role's applications, after something all of them are scored with changed."""
    after = ""
    while roles := repo.list_roles(tenant, after=after, limit=100):
        for role in roles:
            # Re-putting the role unchanged bumps its revision, which plans its re-scoring.
            repo.put_role(tenant, role["role_id"], title=role["title"], requirements=role["requirements"],
                          job_ids=role.get("job_ids", []), description=role.get("description"),
                          credibility=role.get("credibility"))
        after = roles[-1]["role_id"]
