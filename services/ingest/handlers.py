"""Ingest's Kafka handler: turn an accepted delivery into the credentials found for it and a ready application."""
from __future__ import annotations

from typing import Callable

from services.ingest.model import CredentialRef, resolved_events
from shared.consumer import PermanentError
from shared.events import Event

Publish = Callable[[list[Event]], None]


def handle_application_received(event: Event, *, publish: Publish) -> None:
    """Idempotent: every event it publishes has an id derived from the delivery and the credential."""
    p = event.payload
    if p["enrich"] is not None:
        # Thin webhooks need the ATS API (the providers issue); until then say so rather than guess.
        raise PermanentError(f"enrichment {p['enrich'].get('kind')!r} is not supported yet")
    if not p["application"].get("job_id"):
        raise PermanentError("the delivery names no job")
    refs = [CredentialRef(**c) for c in p["credentials"]]
    publish(resolved_events(tenant=event.tenant, provider=p["provider"], delivery_id=p["delivery_id"],
                            application=p["application"], candidate=p["candidate"], credentials=refs,
                            trace_id=event.trace_id))
