"""The event envelope every Kafka message carries, the topics, and each event's payload schema."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from marshmallow import EXCLUDE, ValidationError, fields, validate
from marshmallow import Schema as _Schema

from shared import safejson

# Topic names: one per event type, so a consumer subscribes to exactly what it handles.
# applications.received: what a webhook said, as accepted (ingest's worker resolves it further);
# applications.ready: the application with the ids of every credential found for it.
APPLICATIONS_RECEIVED = "applications.received"
APPLICATIONS_READY = "applications.ready"
CREDENTIALS_SUBMITTED = "credentials.submitted"
CREDENTIALS_UNAVAILABLE = "credentials.unavailable"
CREDENTIALS_VERIFIED = "credentials.verified"
SCORES_COMPUTED = "scores.computed"
# jobs.described: a job's description as its ATS's job API gives it (ingest fetches it once per job).
JOBS_DESCRIBED = "jobs.described"
ALL_TOPICS = (APPLICATIONS_RECEIVED, APPLICATIONS_READY, CREDENTIALS_SUBMITTED, CREDENTIALS_UNAVAILABLE,
              CREDENTIALS_VERIFIED, SCORES_COMPUTED, JOBS_DESCRIBED)


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


VERDICTS = ("verified", "failed", "indeterminate", "unsupported")


class Schema(_Schema):
    """Event schemas are tolerant readers: a field added by a newer producer is ignored, not fatal."""

    class Meta:
        unknown = EXCLUDE


class CandidateRefSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(load_default=None, allow_none=True)
    emails = fields.List(fields.Email(), load_default=list)


class ApplicationRefSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    job_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class IntakeApplicationRefSchema(ApplicationRefSchema):
    # A thin webhook (Lever, SmartRecruiters, Teamtailor) may name the job only once its API is asked.
    job_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


class CredentialRefSchema(Schema):
    """A credential found in a delivery: exactly one of document, jwt, url; provenance says where."""
    provenance = fields.String(required=True)
    document = fields.Dict(load_default=None, allow_none=True)
    jwt = fields.String(load_default=None, allow_none=True)
    url = fields.String(load_default=None, allow_none=True)


class LinkSchema(Schema):
    """A place that may hold credentials (candidate link, attachment, custom field), scanned by ingest's worker."""
    provenance = fields.String(required=True)
    url = fields.String(load_default=None, allow_none=True)
    text = fields.String(load_default=None, allow_none=True)


class ApplicationReceivedSchema(Schema):
    provider = fields.String(required=True)
    delivery_id = fields.String(required=True)
    application = fields.Nested(IntakeApplicationRefSchema, required=True)
    candidate = fields.Nested(CandidateRefSchema, required=True)
    credentials = fields.List(fields.Nested(CredentialRefSchema), load_default=list)
    links = fields.List(fields.Nested(LinkSchema), load_default=list)
    # Set by adapters whose webhook is thin: what to fetch from the ATS API ({"kind": ..., "ref": ...}).
    enrich = fields.Dict(load_default=None, allow_none=True)


class ApplicationReadySchema(Schema):
    provider = fields.String(required=True)
    delivery_id = fields.String(required=True)
    application = fields.Nested(ApplicationRefSchema, required=True)
    candidate = fields.Nested(CandidateRefSchema, required=True)
    credential_ids = fields.List(fields.String(), required=True)


class CredentialUnavailableSchema(Schema):
    application_id = fields.String(required=True)
    candidate_id = fields.String(required=True)
    provenance = fields.String(required=True)
    reason = fields.String(required=True)


class CredentialSubmittedSchema(Schema):
    credential_id = fields.String(required=True)
    application_id = fields.String(required=True)
    candidate = fields.Nested(CandidateRefSchema, required=True)
    provenance = fields.String(required=True)
    document = fields.Dict(load_default=None, allow_none=True)
    jwt = fields.String(load_default=None, allow_none=True)
    url = fields.String(load_default=None, allow_none=True)


class CheckSchema(Schema):
    code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("passed", "failed", "indeterminate", "skipped", "unsupported")))
    message = fields.String(required=True)


class ReportSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    format = fields.String(required=True)
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    achievement = fields.Dict(load_default=None, allow_none=True)
    issuer = fields.Dict(load_default=None, allow_none=True)
    valid_from = fields.String(load_default=None, allow_none=True)
    valid_until = fields.String(load_default=None, allow_none=True)
    checked_at = fields.String(required=True)
    # {"revoked": bool|None, "suspended": bool|None} from the status lists; None when it has none.
    status = fields.Dict(load_default=None, allow_none=True)
    flags = fields.List(fields.String(), load_default=list)  # e.g. "issuer.unregistered"
    recheck_at = fields.String(load_default=None, allow_none=True)  # when the verdict may change
    # OB 3.0 endorsements carried, each {on, endorser {id, name}, verdict, reason, endorser_trusted}.
    endorsements = fields.List(fields.Dict(), load_default=list)


class CredentialVerifiedSchema(Schema):
    credential_id = fields.String(required=True)
    application_id = fields.String(required=True)
    candidate_id = fields.String(required=True)
    report = fields.Nested(ReportSchema, required=True)


class RequirementOutcomeSchema(Schema):
    id = fields.String(required=True)
    competency = fields.String(load_default="")
    status = fields.String(required=True)
    reason = fields.String(load_default="")


class ScoreComputedSchema(Schema):
    application_id = fields.String(required=True)
    role_id = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True)
    score = fields.Integer(load_default=None, allow_none=True)
    score_version = fields.String(required=True)
    computed_at = fields.String(required=True)
    # The explanation a recruiter reads (optional: older producers sent only the number); ATS write-back shows it.
    reason = fields.String(load_default=None, allow_none=True)
    requirements = fields.List(fields.Nested(RequirementOutcomeSchema), load_default=list)


MAX_JOB_TEXT = 50_000  # characters, as a role's own description (matching's MAX_DESCRIPTION)


class JobDescribedSchema(Schema):
    """A job's advert as plain text (converted from the ATS's HTML by ingest), and where it came from."""
    provider = fields.String(required=True, validate=validate.Length(min=1, max=64))
    job_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_JOB_TEXT))
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))  # e.g. "lever.postings"
    fetched_at = fields.String(required=True)


# event type -> (topic, payload schema). Versions bump when a payload changes incompatibly.
EVENT_TYPES: dict[str, tuple[str, Schema]] = {
    "application.received": (APPLICATIONS_RECEIVED, ApplicationReceivedSchema()),
    "application.ready": (APPLICATIONS_READY, ApplicationReadySchema()),
    "credential.unavailable": (CREDENTIALS_UNAVAILABLE, CredentialUnavailableSchema()),
    "credential.submitted": (CREDENTIALS_SUBMITTED, CredentialSubmittedSchema()),
    "credential.verified": (CREDENTIALS_VERIFIED, CredentialVerifiedSchema()),
    "score.computed": (SCORES_COMPUTED, ScoreComputedSchema()),
    "job.described": (JOBS_DESCRIBED, JobDescribedSchema()),
}
SCHEMA_VERSION = 1


class EnvelopeSchema(Schema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    type = fields.String(required=True, validate=validate.OneOf(tuple(EVENT_TYPES)))
    version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    tenant = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    trace_id = fields.String(required=True)
    payload = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    tenant: str
    payload: dict
    trace_id: str
    occurred_at: datetime
    version: int = SCHEMA_VERSION

    @property
    def topic(self) -> str:
        return EVENT_TYPES[self.type][0]

    def to_dict(self) -> dict:
        return {
            "event_id": self.event_id, "type": self.type, "version": self.version,
            "tenant": self.tenant, "occurred_at": self.occurred_at.isoformat(),
            "trace_id": self.trace_id, "payload": self.payload,
        }


def new_event(event_type: str, *, tenant: str, payload: dict, trace_id: str | None = None,
              event_id: str | None = None) -> Event:
    """Builds an event, validating its payload; pass a deterministic event_id for idempotent re-publishing.

    The payload is what the schema loads (defaults filled in, unknown fields dropped): every field loads to a JSON
    value, so it is what encode writes and decode gives back, and a second pass through the schema (dump) would only
    repeat the work (tests/unit/test_events_roundtrip.py)."""
    _, schema = EVENT_TYPES[event_type]
    payload = schema.load(payload)
    return Event(
        event_id=event_id or uuid.uuid4().hex, type=event_type, tenant=tenant, payload=payload,
        trace_id=trace_id or uuid.uuid4().hex, occurred_at=datetime.now(timezone.utc),
    )


def encode(event: Event) -> bytes:
    return json.dumps(event.to_dict(), separators=(",", ":"), sort_keys=True).encode()


def decode(raw: bytes) -> Event:
    """Parses and validates an envelope and its payload; raises ValidationError on anything off."""
    try:
        doc = safejson.loads(raw, max_depth=safejson.MAX_EVENT_DEPTH)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValidationError("envelope must be a JSON object")
    env = _ENVELOPE.load(doc)
    _, schema = EVENT_TYPES[env["type"]]
    try:
        payload = schema.load(env["payload"])
    except ValidationError as exc:
        raise ValidationError({"payload": exc.messages}) from exc
    return Event(event_id=env["event_id"], type=env["type"], tenant=env["tenant"], payload=payload,
                 trace_id=env["trace_id"], occurred_at=env["occurred_at"], version=env["version"])


def derive_id(*parts: str) -> str:
    """A stable id from its parts: the same input always names the same event or entity."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
