"""Kafka handlers: credential.submitted in, one stored verdict and one credential.verified event out."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, Protocol

from services.verification import stage
from services.verification.report import bounded
from services.verification.repository import Verdict
from services.verification.verifier import Verifier
from shared.events import Event, derive_id, new_event
from shared.settings import Settings

log = logging.getLogger(__name__)

Publish = Callable[[list[Event]], None]


class Verdicts(Protocol):
    """What a handler needs of the verdict store (VerdictRepository, or a fake in unit tests)."""

    def get(self, tenant: str, credential_id: str) -> dict | None: ...

    def save(self, *, tenant: str, credential_id: str, application_id: str, candidate_id: str,
             source_event_id: str, report: dict, recheck_basis: dict | None = None) -> dict: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def handle_credential_submitted(event: Event, *, repo: Verdicts, publish: Publish,
                                now: Callable[[], datetime] = _utcnow, settings: Settings | None = None,
                                verifier: Verifier | None = None) -> None:
    """Verifies once per (tenant, credential_id); a redelivery re-publishes the stored verdict.

    Order matters: store, then publish. If publishing fails the consumer retries; the retry finds the
    verdict stored and publishes the same event id again, so downstream deduplicates on it.
    """
    settings = settings or (verifier.settings if verifier is not None else Settings())
    stored = repo.get(event.tenant, event.payload["credential_id"])
    if stored is None:
        v = verify_submission(event, settings=settings, verifier=verifier, now=now)
        stored = repo.save(tenant=v.tenant, credential_id=v.credential_id, application_id=v.application_id,
                           candidate_id=v.candidate_id, source_event_id=v.source_event_id, report=v.report,
                           recheck_basis=v.recheck_basis)
    publish([verified_event(publishable(stored, settings), trace_id=event.trace_id)])
    log.info("verdict published", extra={"tenant": event.tenant, "trace_id": event.trace_id,
                                         "verdict": stored["report"]["verdict"],
                                         "format": stored["report"]["format"]})


def verify_submission(event: Event, *, settings: Settings, verifier: Verifier | None = None,
                      now: Callable[[], datetime] = _utcnow) -> Verdict:
    """Verifies a credential.submitted event's credential: the verdict to store (bounded, no personal data)."""
    payload = event.payload
    verifier = verifier or Verifier(settings)
    submission = {k: payload[k] for k in ("jwt", "document", "url") if payload.get(k) is not None}
    # The applicant's emails are used for the recipient check and never stored or logged.
    report = verifier(submission, tenant=event.tenant, emails=payload["candidate"].get("emails") or [], now=now())
    # Bounded before it is stored: the stored verdict is what every retry re-publishes.
    report = bounded(report, settings.verify_max_report_bytes)
    return Verdict(tenant=event.tenant, credential_id=payload["credential_id"],
                   application_id=payload["application_id"], candidate_id=payload["candidate"]["id"],
                   source_event_id=event.event_id, report=report,
                   recheck_basis=stage.recheck_basis(stage.claimed_credential(**submission), report))


def publishable(stored: dict, settings: Settings) -> dict:
    """The stored verdict with its report bounded: one stored before reports were bounded (or under a larger
    VERIFY_MAX_REPORT_BYTES) must not be refused by the broker on every retry and hold what follows."""
    return {**stored, "report": bounded(stored["report"], settings.verify_max_report_bytes)}


def verified_event(stored: dict, *, trace_id: str | None = None) -> Event:
    """The credential.verified event for a stored verdict; its id depends only on (tenant, credential_id, revision).

    Revision 0 keeps the original id; each re-checked revision gets its own, so one id never carries
    two different reports.
    """
    tenant, credential_id, revision = stored["tenant"], stored["credential_id"], stored.get("revision", 0)
    parts = ("verified", tenant, credential_id) + ((str(revision),) if revision else ())
    return new_event(
        "credential.verified", tenant=tenant, trace_id=trace_id, event_id=derive_id(*parts),
        payload={"credential_id": credential_id, "application_id": stored["application_id"],
                 "candidate_id": stored["candidate_id"], "report": stored["report"]},
    )
