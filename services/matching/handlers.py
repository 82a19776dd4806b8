"""Kafka handlers: store the input idempotently and bump the application's revision; re-score at the batch's end.

An application usually arrives as several events (its application.ready and a credential.verified per
credential). Under load they share a poll batch, so the handlers only store what each event says and note
the application in `Rescores`; the consumer loop calls `Rescores.flush` once the batch is handled and
before it commits, which scores each noted application once, however many of its events the batch held.
"""
from __future__ import annotations

import logging

from shared import logs
from shared.consumer import TRANSIENT
from shared.events import Event

from services.matching import metrics
from services.matching.repository import MatchingRepository
from services.matching.service import VERIFY_DEADLINE_S, Clock, Publish, rescore_application, utcnow

log = logging.getLogger(__name__)


class Rescores:
    """The applications whose inputs changed in the current poll batch, each with its newest stored revision."""

    def __init__(self, *, repo: MatchingRepository, publish: Publish, clock: Clock = utcnow,
                 verify_deadline_s: float = VERIFY_DEADLINE_S):
        self.repo, self.publish, self.clock = repo, publish, clock
        self.verify_deadline_s = verify_deadline_s
        self._pending: dict[tuple[str, str], tuple[dict, str]] = {}

    def add(self, tenant: str, application: dict, *, trace_id: str) -> None:
        key = (tenant, application["application_id"])
        held = self._pending.get(key)
        if held is None or application["revision"] >= held[0]["revision"]:
            self._pending[key] = (application, trace_id)

    def flush(self) -> int:
        """Scores every noted application once; returns how many were scored.

        MongoDB or the broker being away propagates (the loop then reads the whole batch again, which notes
        the applications again), so nothing noted is dropped silently. Any other error is one application's
        problem: it is logged and counted, the others are still scored, and its stored inputs are scored with
        its next event or its role's next re-scoring.
        """
        pending, self._pending = self._pending, {}
        for (tenant, application_id), (application, trace_id) in pending.items():
            with logs.trace(trace_id):
                try:
                    rescore_application(tenant, application, repo=self.repo, publish=self.publish, clock=self.clock,
                                        trace_id=trace_id, verify_deadline_s=self.verify_deadline_s)
                except TRANSIENT:
                    raise
                except Exception:  # noqa: BLE001 - one application's bug must not block the batch's others
                    metrics.RESCORE_FAILURES.inc()
                    log.exception("scoring an application failed", extra={"tenant": tenant,
                                                                        "application_id": application_id})
        return len(pending)


def handle_application_ready(event: Event, *, repo: MatchingRepository, rescores: Rescores) -> None:
    """Upserts the application (job, candidate id, credential ids; no names or emails) and notes it for scoring."""
    payload = event.payload
    application = repo.record_application(
        event.tenant, payload["application"]["id"], job_id=payload["application"]["job_id"],
        candidate_id=payload["candidate"]["id"], credential_ids=payload["credential_ids"])
    rescores.add(event.tenant, application, trace_id=event.trace_id)


def handle_credential_verified(event: Event, *, repo: MatchingRepository, rescores: Rescores) -> None:
    """Upserts the credential's report as evidence and notes its application (a stub if it came first)."""
    payload = event.payload
    repo.record_evidence(event.tenant, payload["credential_id"], application_id=payload["application_id"],
                         candidate_id=payload["candidate_id"], report=payload["report"])
    application = repo.touch_application(event.tenant, payload["application_id"], candidate_id=payload["candidate_id"])
    rescores.add(event.tenant, application, trace_id=event.trace_id)


def handle_credential_unavailable(event: Event, *, repo: MatchingRepository) -> None:
    """Records that a credential could not be retrieved, so the recruiter sees it instead of silence."""
    p = event.payload
    repo.record_unretrieved(event.tenant, p["application_id"], candidate_id=p["candidate_id"],
                            provenance=p["provenance"], reason=p["reason"])
