"""Kafka handlers: store the input idempotently, bump the application's revision, re-score it."""
from __future__ import annotations

from shared.events import Event

from services.matching.repository import MatchingRepository
from services.matching.service import Clock, Publish, rescore_application, utcnow


def handle_application_ready(event: Event, *, repo: MatchingRepository, publish: Publish,
                                clock: Clock = utcnow) -> None:
    """Upserts the application (job, candidate id, credential ids; no names or emails) and scores it."""
    payload = event.payload
    application = repo.record_application(
        event.tenant, payload["application"]["id"], job_id=payload["application"]["job_id"],
        candidate_id=payload["candidate"]["id"], credential_ids=payload["credential_ids"])
    rescore_application(event.tenant, application, repo=repo, publish=publish, clock=clock, trace_id=event.trace_id)


def handle_credential_verified(event: Event, *, repo: MatchingRepository, publish: Publish,
                               clock: Clock = utcnow) -> None:
    """Upserts the credential's report as evidence and re-scores its application (a stub if it came first)."""
    payload = event.payload
    repo.record_evidence(event.tenant, payload["credential_id"], application_id=payload["application_id"],
                         candidate_id=payload["candidate_id"], report=payload["report"])
    application = repo.touch_application(event.tenant, payload["application_id"], candidate_id=payload["candidate_id"])
    rescore_application(event.tenant, application, repo=repo, publish=publish, clock=clock, trace_id=event.trace_id)


def handle_credential_unavailable(event: Event, *, repo: MatchingRepository) -> None:
    """Records that a credential could not be retrieved, so the recruiter sees it instead of silence."""
    p = event.payload
    repo.record_unretrieved(event.tenant, p["application_id"], candidate_id=p["candidate_id"],
                            provenance=p["provenance"], reason=p["reason"])
