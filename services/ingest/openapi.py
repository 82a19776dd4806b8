"""Ingest's OpenAPI 3 document: the one webhook route, every answer it gives (served at /openapi.json)."""
from __future__ import annotations

from functools import lru_cache

from services.ingest.providers import registry

PROBLEM = {"description": "A problem document (RFC 9457).",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ANSWER = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}}


@lru_cache(maxsize=1)
def spec_dict() -> dict:
    errors = {code: {**PROBLEM, "description": why} for code, why in (
        ("400", "The body is not JSON, not an object, or nests too deeply (after authentication)."),
        ("401", "Bad or missing signature, or a stale timestamp."),
        ("404", "Unknown provider, tenant, or no connection for this provider."),
        ("413", "The body (or the event it becomes) is too large."),
        ("415", "Not the provider's media type."),
        ("422", "Authenticated, but fields are missing or invalid (field errors)."),
        ("429", "Over the tenant's RATE_LIMIT_WEBHOOKS_PER_MINUTE; see Retry-After."),
        ("503", "The broker or the database is unavailable, or ingest is over capacity (the webhook waited past "
                "INGEST_QUEUE_BUDGET_SECONDS and was not accepted); see Retry-After."))}
    return {
        "openapi": "3.0.3",
        "info": {"title": "credbridge ingest — ATS webhooks", "version": "1",
                 "description": "One URL per ATS connection; answered only once the broker acknowledged the event."},
        "paths": {"/v1/webhooks/{provider}/{tenant}": {
            "parameters": [{"in": "path", "name": "provider", "required": True,
                            "schema": {"type": "string", "enum": sorted(registry())}},
                           {"in": "path", "name": "tenant", "required": True, "schema": {"type": "string"}}],
            "post": {"summary": "A delivery from the tenant's ATS, signed as that ATS signs.",
                     "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                     "responses": {"200": {"description": "Accepted, a duplicate or a ping (most ATSs)", **ANSWER},
                                   "202": {"description": "Accepted (generic, SmartRecruiters)", **ANSWER}, **errors}}}},
        "components": {"schemas": {
            "Answer": {"type": "object", "properties": {
                "status": {"type": "string", "enum": ["accepted", "duplicate", "ping"]},
                "application_id": {"type": "string", "nullable": True},
                "events_published": {"type": "integer"}}},
            "Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "errors": {"type": "object"}}}}},
    }
