"""The normalised applicant every provider adapter produces, and the events it becomes."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from shared import events


@dataclass(frozen=True)
class CredentialRef:
    """One credential found for the candidate: exactly one of document, jwt, url."""
    provenance: str
    document: dict | None = None
    jwt: str | None = None
    url: str | None = None

    def fingerprint(self) -> str:
        # Same credential content -> same credential id, so a re-sent webhook names the same credential.
        return self.jwt or self.url or json.dumps(self.document, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Link:
    """A place that may hold credentials (a URL to scan, or free text with URLs or JWTs in it)."""
    provenance: str
    url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Application:
    tenant: str
    provider: str
    delivery_id: str
    application_id: str
    job_id: str | None
    candidate_id: str
    name: str | None
    emails: tuple[str, ...]
    credentials: tuple[CredentialRef, ...] = field(default_factory=tuple)
    links: tuple[Link, ...] = field(default_factory=tuple)
    enrich: dict | None = None  # thin webhooks: what ingest's worker must fetch from the ATS API


def received_event(app: Application, *, trace_id: str) -> events.Event:
    """The one event a webhook publishes; its id is derived from the delivery, so a re-publish is the same event."""
    return events.new_event(
        "application.received", tenant=app.tenant, trace_id=trace_id,
        event_id=events.derive_id("application.received", app.tenant, app.provider, app.delivery_id),
        payload={"provider": app.provider, "delivery_id": app.delivery_id,
                 "application": {"id": app.application_id, "job_id": app.job_id},
                 "candidate": {"id": app.candidate_id, "name": app.name, "emails": list(app.emails)},
                 "credentials": [asdict(c) for c in app.credentials],
                 "links": [asdict(link) for link in app.links], "enrich": app.enrich})


def credential_id(tenant: str, application_id: str, ref: CredentialRef) -> str:
    return events.derive_id("credential", tenant, application_id, ref.fingerprint())


def resolved_events(*, tenant: str, provider: str, delivery_id: str, application: dict, candidate: dict,
                    credentials: list[CredentialRef], trace_id: str) -> list[events.Event]:
    """One credentials.submitted per credential, then applications.ready naming them all (deterministic ids)."""
    app_id = application["id"]
    ids = [credential_id(tenant, app_id, c) for c in credentials]
    out = [events.new_event(
        "credential.submitted", tenant=tenant, trace_id=trace_id,
        event_id=events.derive_id("credential.submitted", tenant, cid),
        payload={"credential_id": cid, "application_id": app_id,
                 "candidate": {"id": candidate["id"], "emails": candidate["emails"]},
                 "provenance": ref.provenance, "document": ref.document, "jwt": ref.jwt, "url": ref.url})
        for cid, ref in zip(ids, credentials, strict=True)]
    out.append(events.new_event(
        "application.ready", tenant=tenant, trace_id=trace_id,
        event_id=events.derive_id("application.ready", tenant, provider, delivery_id),
        payload={"provider": provider, "delivery_id": delivery_id, "application": application,
                 "candidate": candidate, "credential_ids": list(dict.fromkeys(ids))}))
    return out
