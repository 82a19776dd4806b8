"""Kafka handlers: credential.submitted in, one stored verdict and one credential.verified event out."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, Protocol

from services.verification.verify import verify_credential
from shared.events import Event, derive_id, new_event
from shared.settings import Settings

log = logging.getLogger(__name__)

Publish = Callable[[list[Event]], None]


class Verdicts(Protocol):
    """What a handler needs of the verdict store (VerdictRepository, or a fake in unit tests)."""

    def get(self, tenant: str, credential_id: str) -> dict | None: ...

    def save(self, *, tenant: str, credential_id: str, application_id: str, candidate_id: str,
             source_event_id: str, report: dict) -> dict: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def handle_credential_submitted(event: Event, *, repo: Verdicts, publish: Publish,
                                now: Callable[[], datetime] = _utcnow, settings: Settings | None = None) -> None:
    """Verifies once per (tenant, credential_id); a redelivery re-publishes the stored verdict.

    Order matters: store, then publish. If publishing fails the consumer retries; the retry finds the
    verdict stored and publishes the same event id again, so downstream deduplicates on it.
    """
    payload = event.payload
    stored = repo.get(event.tenant, payload["credential_id"])
    if stored is None:
        report = verify_credential(jwt=payload.get("jwt"), document=payload.get("document"), url=payload.get("url"),
                                   now=now(), settings=settings or Settings())
        stored = repo.save(tenant=event.tenant, credential_id=payload["credential_id"],
                           application_id=payload["application_id"], candidate_id=payload["candidate"]["id"],
                           source_event_id=event.event_id, report=report)
    publish([verified_event(event, stored)])
    log.info("verdict published", extra={"tenant": event.tenant, "trace_id": event.trace_id,
                                         "verdict": stored["report"]["verdict"],
                                         "format": stored["report"]["format"]})


def verified_event(source: Event, stored: dict) -> Event:
    """The credential.verified event for a stored verdict; its id depends only on (tenant, credential_id)."""
    credential_id = stored["credential_id"]
    return new_event(
        "credential.verified", tenant=source.tenant, trace_id=source.trace_id,
        event_id=derive_id("verified", source.tenant, credential_id),
        payload={"credential_id": credential_id, "application_id": stored["application_id"],
                 "candidate_id": stored["candidate_id"], "report": stored["report"]},
    )
