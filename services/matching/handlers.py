"""Kafka handlers: hold the input's idempotent upserts and the application's revision bump; write and re-score
at the batch's end.

An application usually arrives as several events (its application.ready and a credential.verified per
credential). Under load they share a poll batch, so the handlers only hold what each event says and note
the application in `Rescores`; the consumer loop calls `Rescores.flush` once the batch is handled and
before it commits, which writes the batch's inputs in one bulk write per collection and then scores each noted
application once, however many of its events the batch held (services/matching/batch.py).
"""
from __future__ import annotations

import logging

from shared import logs
from shared.consumer import TRANSIENT
from shared.events import Event

from services.matching import metrics
from services.matching.batch import BatchStore
from services.matching.repository import InputWrite, MatchingRepository
from services.matching.service import VERIFY_DEADLINE_S, Clock, Publish, ScoreStore, rescore_application, utcnow

log = logging.getLogger(__name__)


class Rescores:
    """The current poll batch: its input writes, held until it ends, and the applications they change."""

    def __init__(self, *, repo: MatchingRepository, publish: Publish, clock: Clock = utcnow,
                 verify_deadline_s: float = VERIFY_DEADLINE_S):
        self.repo, self.publish, self.clock = repo, publish, clock
        self.verify_deadline_s = verify_deadline_s
        self._writes: list[InputWrite] = []
        self._pending: dict[tuple[str, str], str] = {}  # (tenant, application_id) -> the trace_id of its last event
        self._bumped: set[tuple[str, str]] = set()  # applications whose revision a held write already bumps

    def write(self, write: InputWrite, *, tenant: str, application_id: str | None = None, trace_id: str) -> None:
        """Holds one input write; with `application_id`, that application is scored once the batch's writes are done.

        A touch (a revision bump for a new verdict) of an application whose revision the batch already bumps is
        not held again: the application is read and scored once after all of the batch's writes, so one bump says
        as much as several, and the second credential's verdict in a batch costs no update of its application."""
        key = (write.args[0], write.args[1])
        if not (write.method == "touch_application" and key in self._bumped):
            self._writes.append(write)
        if write.method in ("record_application", "touch_application"):
            self._bumped.add(key)
        if application_id is not None:
            self._pending[(tenant, application_id)] = trace_id

    def flush(self) -> int:
        """Writes the batch's inputs (one bulk write per collection), then scores every application they changed
        once, reading each as stored after all of the batch's bumps; returns how many were scored.

        MongoDB or the broker being away propagates (the loop then reads the whole batch again, which writes and
        notes the applications again), so nothing noted is dropped silently. Any other error is one application's
        problem: it is logged and counted, the others are still scored, and its stored inputs are scored with
        its next event or its role's next re-scoring.
        """
        writes, pending = self._writes, self._pending
        self._writes, self._pending, self._bumped = [], {}, set()
        if writes:
            self.repo.write_inputs(writes)
        stored: list[tuple[str, dict]] = []
        for tenant in dict.fromkeys(t for t, _ in pending):
            found = self.repo.applications_by_id(tenant, [a for t, a in pending if t == tenant])
            stored += [(tenant, found[a]) for t, a in pending if t == tenant and a in found]
        store = BatchStore(self.repo, stored)
        for tenant, application in stored:
            self._score(tenant, application, store=store, publish=store.publish, trace_id=pending[
                (tenant, application["application_id"])])
        by_key = {(t, a["application_id"]): a for t, a in stored}
        for tenant, application_id in store.finish(self.publish):
            # Another writer stored this application's first score meanwhile: score it again against that one.
            self._score(tenant, self.repo.get_application(tenant, application_id) or by_key[(tenant, application_id)],
                        store=self.repo, publish=self.publish, trace_id=pending[(tenant, application_id)])
        return len(stored)

    def _score(self, tenant: str, application: dict, *, store: ScoreStore, publish: Publish, trace_id: str) -> None:
        with logs.trace(trace_id):
            try:
                rescore_application(tenant, application, repo=store, publish=publish, clock=self.clock,
                                    trace_id=trace_id, verify_deadline_s=self.verify_deadline_s)
            except TRANSIENT:
                raise
            except Exception:  # noqa: BLE001 - one application's bug must not block the batch's others
                metrics.RESCORE_FAILURES.inc()
                log.exception("scoring an application failed", extra={"tenant": tenant,
                                                                    "application_id": application["application_id"]})


def handle_application_ready(event: Event, *, repo: MatchingRepository, rescores: Rescores) -> None:
    """Holds the application's upsert (job, candidate id, credential ids; no names or emails) and notes it for scoring."""
    payload = event.payload
    app_id = payload["application"]["id"]
    rescores.write(InputWrite("record_application", (event.tenant, app_id), {
        "job_id": payload["application"]["job_id"], "candidate_id": payload["candidate"]["id"],
        "credential_ids": payload["credential_ids"]}), tenant=event.tenant, application_id=app_id,
        trace_id=event.trace_id)


def handle_credential_verified(event: Event, *, repo: MatchingRepository, rescores: Rescores) -> None:
    """Holds the credential's report as evidence and a bump of its application (a stub if it came first)."""
    payload = event.payload
    rescores.write(InputWrite("record_evidence", (event.tenant, payload["credential_id"]), {
        "application_id": payload["application_id"], "candidate_id": payload["candidate_id"],
        "report": payload["report"]}), tenant=event.tenant, trace_id=event.trace_id)
    rescores.write(InputWrite("touch_application", (event.tenant, payload["application_id"]),
                              {"candidate_id": payload["candidate_id"]}),
                   tenant=event.tenant, application_id=payload["application_id"], trace_id=event.trace_id)


def handle_credential_unavailable(event: Event, *, repo: MatchingRepository) -> None:
    """Records that a credential could not be retrieved, so the recruiter sees it instead of silence."""
    p = event.payload
    repo.record_unretrieved(event.tenant, p["application_id"], candidate_id=p["candidate_id"],
                            provenance=p["provenance"], reason=p["reason"])
