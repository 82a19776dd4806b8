"""Scoring many applications of one tenant at once: each input read once per batch, the scores in one bulk write.

The batch counterpart of service.rescore_application, with the same guarantees: every input is read after the
applications' revision bump, a score lands only over an older revision, only a final score whose content changed
is published, and it is marked published after that: the batch's announced scores all at once, by the token they
were written with (repository.record_announcement).
"""
from __future__ import annotations

from bson import ObjectId

from services.matching import credibility, metrics, scoring
from services.matching.repository import MatchingRepository
from services.matching.service import (VERIFY_DEADLINE_S, Clock, Publish, credentials_of, lexicon_for,
                                       requirements_of, score_document, score_event, utcnow)


def rescore_applications(tenant: str, applications: list[dict], *, repo: MatchingRepository, publish: Publish,
                         clock: Clock = utcnow, verify_deadline_s: float = VERIFY_DEADLINE_S) -> list[dict]:
    """Scores the applications as stored right after their revision bump; returns the scores that were stored."""
    scorable = [a for a in applications if a.get("job_id")]  # the others wait for their application event
    if not scorable:
        return []
    roles = {job: repo.resolve_role(tenant, job) for job in dict.fromkeys(a["job_id"] for a in scorable)}
    requirements = {job: requirements_of(role) for job, role in roles.items()}
    evidence = repo.evidence_for_many(tenant, scorable)
    listed = credibility.CredibilityList.from_dicts(repo.get_credibility(tenant))
    lexicon = lexicon_for(tenant, repo=repo)
    now = clock()
    results, docs = [], []
    for application in scorable:
        held = credibility.with_standing(
            credentials_of(application, evidence[application["application_id"]], now=now, deadline_s=verify_deadline_s),
            listed=listed)
        result = scoring.score_application(requirements=requirements[application["job_id"]], computed_at=now,
                                           credentials=held, lexicon=lexicon)
        results.append(result)
        docs.append(score_document(tenant, application, role=roles[application["job_id"]], result=result))
    stored, events, marks = [], [], []
    announcement = ObjectId()
    outcomes = repo.save_scores(docs, settled=_settled, announce=announcement)
    for doc, result, outcome in zip(docs, results, outcomes, strict=True):
        if not outcome.applied:
            continue  # a newer computation already stored its score and published it
        stored.append(doc)
        metrics.record_score(status=result.status, score=result.score)
        final = result.status != scoring.PENDING
        if final and doc["fingerprint"] != (outcome.previous or {}).get("published_fingerprint"):
            events.append(score_event(doc, trace_id=None))
        if not outcome.marked and outcome.announcement is None:  # stored by save_score, one at a time
            marks.append({"tenant": tenant, "application_id": doc["application_id"], "role_id": doc["role_id"],
                          "input_revision": doc["input_revision"],
                          "fingerprint": doc["fingerprint"] if final else None, "score_id": outcome.score_id})
    if events:
        publish(events)
    if any(o.announcement is not None for o in outcomes):
        repo.record_announcement(announcement)
    repo.mark_published_many(marks)
    return stored


def _settled(doc: dict, previous: dict | None) -> bool:
    """Whether a score needs no announcing, so it can be stored marked: pending, or the content last announced."""
    return doc["status"] == scoring.PENDING or doc["fingerprint"] == (previous or {}).get("published_fingerprint")
