"""The verification API's OpenAPI 3 document: POST /v1/verify and the report it answers (served at /openapi.json)."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.verification.schemas import JSON_TYPES, JWT_TYPES
from shared.events import ReportSchema

PROBLEM = {"description": "A problem document (RFC 9457).",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


@lru_cache(maxsize=1)
def spec_dict() -> dict:
    spec = APISpec(title="credbridge verification", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Verifies one credential and answers its report; nothing is stored. An "
                                        "optional Bearer API key selects the tenant's issuer registry."})
    spec.components.schema("Problem", {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "errors": {"type": "object"}}})
    spec.components.schema("Report", schema=ReportSchema)
    body = {t: {"schema": {"type": "object"}} for t in JSON_TYPES} | {t: {"schema": {"type": "string"}} for t in JWT_TYPES}
    errors = {code: {**PROBLEM, "description": why} for code, why in (
        ("400", "The body is empty, not JSON, or nests too deeply."), ("401", "An API key was sent and is not valid."),
        ("413", "The body is over 1 MiB."), ("415", "Not a credential media type."),
        ("422", "Invalid fields or query (field errors)."),
        ("429", "Over RATE_LIMIT_VERIFY_PER_MINUTE (with a key) or RATE_LIMIT_VERIFY_ANONYMOUS_PER_MINUTE; see Retry-After."))}
    spec.path(path="/v1/verify", operations={"post": {
        "summary": "The verification report of a JSON credential, {\"jwt\": …}, or a raw VC-JWT.",
        "parameters": [{"in": "query", "name": "email", "schema": {"type": "string"},
                        "description": "The applicant's email, for the recipient check."}],
        "requestBody": {"content": body},
        "responses": {"200": {"description": "The report", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Report"}}}}, **errors}}})
    return spec.to_dict()
