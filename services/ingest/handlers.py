"""Ingest's Kafka handler: turn an accepted delivery into the credentials found for it and a ready application."""
from __future__ import annotations

from typing import Callable

from marshmallow import ValidationError

from services.ingest.enrichment import EnrichFailed
from services.ingest.model import CredentialRef, resolved_events
from services.ingest.pulling import Pulled, Unavailable
from shared.consumer import PermanentError
from shared.events import ApplicationReceivedSchema, Event, derive_id, new_event

Publish = Callable[[list[Event]], None]
Pull = Callable[..., Pulled]           # (*, credentials, links) -> Pulled
Enrich = Callable[[Event], dict]       # event -> the completed applications.received payload

_RECEIVED = ApplicationReceivedSchema()
ATS_API = "ats.api"  # the provenance of an application the ATS API would not give


def handle_application_received(event: Event, *, publish: Publish, pull: Pull | None = None,
                                enrich: Enrich | None = None) -> None:
    """Idempotent: every event it publishes has an id derived from the delivery and the credential (or place)."""
    payload = _completed(event, enrich=enrich, publish=publish)
    if not payload["application"].get("job_id"):
        raise PermanentError("the delivery names no job")
    if pull is None:
        pulled = Pulled(credentials=[CredentialRef(**c) for c in payload["credentials"]])
    else:
        pulled = pull(credentials=payload["credentials"], links=payload["links"])
    app, cand = payload["application"], payload["candidate"]
    publish([unavailable_event(event, application_id=app["id"], candidate_id=cand["id"], gone=u) for u in pulled.unavailable]
            + resolved_events(tenant=event.tenant, provider=payload["provider"], delivery_id=payload["delivery_id"],
                              application=app, candidate=cand, credentials=pulled.credentials, trace_id=event.trace_id))


def _completed(event: Event, *, enrich: Enrich | None, publish: Publish) -> dict:
    payload = event.payload
    if payload["enrich"] is None:
        return payload
    if enrich is None:
        # Thin webhooks need the ATS API; without an enricher for this provider say so rather than guess.
        raise PermanentError(f"enrichment {payload['enrich'].get('kind')!r} is not supported yet")
    try:
        completed = enrich(event)
    except EnrichFailed as exc:
        # The recruiter sees "could not be retrieved"; the message is dead-lettered for a replay later.
        publish([unavailable_event(event, application_id=payload["application"]["id"],
                                   candidate_id=payload["candidate"]["id"], gone=Unavailable(ATS_API, exc.reason))])
        raise PermanentError(f"enrichment failed: {exc.reason}") from exc
    try:
        return _RECEIVED.load(completed)
    except ValidationError as exc:
        raise PermanentError(f"the ATS API's application is incomplete: {sorted(exc.messages)}") from exc


def unavailable_event(source: Event, *, application_id: str, candidate_id: str, gone: Unavailable) -> Event:
    return new_event(
        "credential.unavailable", tenant=source.tenant, trace_id=source.trace_id,
        event_id=derive_id("credential.unavailable", source.tenant, application_id, gone.provenance),
        payload={"application_id": application_id, "candidate_id": candidate_id,
                 "provenance": gone.provenance, "reason": gone.reason[:1000]})
