"""Kafka handlers: note where each application lives in its ATS, and which score it should show there.

Both only store (idempotently: an upsert on the application, the newest `computed_at` wins); the dispatcher does
the ATS calls, so a slow or rate-limited ATS never holds up a partition and other tenants' events behind it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from shared.events import Event

from services.writeback import metrics
from services.writeback.content import Score
from services.writeback.repository import WritebackRepository, utcnow

PENDING_CANDIDATE = "pending:"   # ingest's placeholder until a thin ATS's API names the candidate


def handle_application(event: Event, *, repo: WritebackRepository, clock: Callable[[], datetime] = utcnow) -> None:
    """applications.received / applications.ready: the provider, the candidate id and the ATS's own refs."""
    p = event.payload
    application_id, candidate_id = p["application"]["id"], p["candidate"]["id"]
    enrich = p.get("enrich")
    refs = {}
    if isinstance(enrich, dict) and isinstance(enrich.get("kind"), str) and isinstance(enrich.get("ref"), str):
        refs[enrich["kind"]] = enrich["ref"]     # e.g. Lever's opportunity id, which its notes hang off
    repo.record_origin(event.tenant, application_id, provider=p["provider"], refs=refs,
                       candidate_id=None if candidate_id.startswith(PENDING_CANDIDATE) else candidate_id)
    repo.wake(event.tenant, application_id, provider=p["provider"], now=clock())


def handle_score(event: Event, *, repo: WritebackRepository, wake: Callable[[], None],
                 clock: Callable[[], datetime] = utcnow) -> None:
    """scores.computed (final scores only): the score to show, if its connection writes back."""
    score = Score.from_payload(event.payload)
    origin = repo.origin(event.tenant, score.application_id)
    if origin is not None and not repo.config(event.tenant, origin.provider).enabled:
        metrics.SCORES.labels(result="not_enabled").inc()
        return
    stored = repo.want(event.tenant, score.application_id, provider=origin.provider if origin else None,
                       desired=score.to_dict(), computed_at=datetime.fromisoformat(score.computed_at), now=clock())
    metrics.SCORES.labels(result="scheduled" if stored else "superseded").inc()
    if stored:
        wake()
