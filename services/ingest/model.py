"""The normalised applicant every provider adapter produces, and the events it becomes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

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
        content = self.jwt or self.url or json.dumps(self.document, sort_keys=True, separators=(",", ":"))
        return content


@dataclass(frozen=True)
class Application:
    tenant: str
    provider: str
    delivery_id: str
    application_id: str
    job_id: str
    candidate_id: str
    name: str | None
    emails: tuple[str, ...]
    credentials: tuple[CredentialRef, ...] = field(default_factory=tuple)


def to_events(app: Application, *, trace_id: str) -> list[events.Event]:
    """applications.received plus one credentials.submitted per credential, with deterministic ids.

    Deterministic ids make re-publishing after a partial failure harmless: consumers upsert by them.
    """
    cred_ids = [events.derive_id("credential", app.tenant, app.application_id, c.fingerprint()) for c in app.credentials]
    candidate = {"id": app.candidate_id, "name": app.name, "emails": list(app.emails)}
    out = [events.new_event(
        "application.received", tenant=app.tenant, trace_id=trace_id,
        event_id=events.derive_id("application.received", app.tenant, app.provider, app.delivery_id),
        payload={"provider": app.provider, "delivery_id": app.delivery_id,
                 "application": {"id": app.application_id, "job_id": app.job_id},
                 "candidate": candidate, "credential_ids": cred_ids})]
    for cred_id, ref in zip(cred_ids, app.credentials):
        out.append(events.new_event(
            "credential.submitted", tenant=app.tenant, trace_id=trace_id,
            event_id=events.derive_id("credential.submitted", app.tenant, cred_id),
            payload={"credential_id": cred_id, "application_id": app.application_id,
                     "candidate": {"id": app.candidate_id, "emails": list(app.emails)},
                     "provenance": ref.provenance, "document": ref.document, "jwt": ref.jwt, "url": ref.url}))
    return out
