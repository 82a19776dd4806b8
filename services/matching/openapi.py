"""The matching API's OpenAPI 3 document, generated from its marshmallow schemas (apispec), and an offline HTML page of it."""
from __future__ import annotations

import html
import json
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.matching import schemas

PROBLEM = {"description": "A problem document (RFC 9457).",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {"401": PROBLEM, "404": PROBLEM, "422": PROBLEM, "429": PROBLEM}  # 429: over RATE_LIMIT_API_PER_MINUTE
# What a body can be refused for: not JSON / nested too deeply (400), too large (413), not application/json (415).
_BODY_ERRORS = {"400": PROBLEM, "413": PROBLEM, "415": PROBLEM, **_ERRORS}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _path_param(name: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}


def _operations() -> dict[str, dict]:
    role, candidate, application = _path_param("role_id"), _path_param("candidate_id"), _path_param("application_id")
    return {
        "/v1/roles/{role_id}": {
            "parameters": [role],
            "put": {"summary": "Create or replace a role (its id is the ATS job id); re-scores its applications.",
                    "requestBody": _json(schemas.RoleSchema),
                    "responses": {"200": {"description": "Replaced", **_json(schemas.RoleViewSchema)},
                                  "201": {"description": "Created", **_json(schemas.RoleViewSchema)}, **_BODY_ERRORS}},
            "get": {"summary": "A role, with the progress of its background re-scoring.",
                    "responses": {"200": {"description": "The role", **_json(schemas.RoleViewSchema)}, **_ERRORS}},
            "delete": {"summary": "Delete a role; its applications become unscored.",
                       "responses": {"204": {"description": "Deleted"}, **_ERRORS}}},
        "/v1/roles/{role_id}/suggest": {
            "parameters": [role],
            "post": {"summary": "Suggested requirements: ESCO concepts found in the job description (the body's "
                                "`description`, else the role's), each with the phrase that named it, an importance "
                                "from the wording and a confidence. Nothing is scored on a suggestion until you PUT "
                                "it in the role.",
                     "requestBody": {"required": False, **_json(schemas.SuggestRequestSchema)},
                     "responses": {"200": {"description": "Suggestions", **_json(schemas.SuggestionsSchema)},
                                   **_BODY_ERRORS}}},
        "/v1/roles": {
            "get": {"summary": "The tenant's roles by id, a page at a time.",
                    "parameters": [{"in": "query", "schema": schemas.RoleListQuerySchema}],
                    "responses": {"200": {"description": "A page of roles", **_json(schemas.RoleListSchema)}, **_ERRORS}}},
        "/v1/roles/{role_id}/candidates": {
            "parameters": [role],
            "get": {"summary": "The role's candidates ranked by score (ties by application id), with a cursor that "
                               "never repeats nor skips an unchanged application. Applications whose credentials "
                               "are still being verified are not ranked: list them with status=pending.",
                    "parameters": [{"in": "query", "schema": schemas.CandidatesQuerySchema}],
                    "responses": {"200": {"description": "A page", **_json(schemas.CandidatesPageSchema)},
                                  "400": PROBLEM, **_ERRORS}}},
        "/v1/applications/{application_id}/score": {
            "parameters": [application],
            "get": {"summary": "The application's score, per-requirement explanation and credentials with verdicts; "
                               "`pending` (score null) until every credential has its verdict or is past its "
                               "verification deadline (then `unavailable`).",
                    "responses": {"200": {"description": "The score", **_json(schemas.ScoreViewSchema)}, **_ERRORS}}},
        "/v1/candidates/{candidate_id}/credentials": {
            "parameters": [candidate],
            "get": {"summary": "Every credential seen for the candidate and its latest verdict.",
                    "responses": {"200": {"description": "Credentials", **_json(schemas.CandidateCredentialsSchema)},
                                  **_ERRORS}}},
        "/v1/credibility": {
            "get": {"summary": "The tenant's credibility list: issuers (by id, DID or domain) and their tiers.",
                    "responses": {"200": {"description": "The list", **_json(schemas.CredibilityListSchema)},
                                  **_ERRORS}},
            "put": {"summary": "Replace the credibility list (JSON, or an accreditation list as text/csv with the "
                               "columns kind,value,tier,accredited_by); every role is re-scored with it.",
                    "requestBody": {"content": {"application/json": {"schema": schemas.CredibilityListSchema},
                                                "text/csv": {"schema": {"type": "string"}}}},
                    "responses": {"200": {"description": "Stored", **_json(schemas.CredibilityListSchema)},
                                  **_BODY_ERRORS}}},
        "/v1/synonyms": {
            "get": {"summary": "The tenant's synonym groups used when matching competency labels.",
                    "responses": {"200": {"description": "Synonyms", **_json(schemas.SynonymsSchema)}, **_ERRORS}},
            "put": {"summary": "Replace the tenant's synonym groups; every role is re-scored with them.",
                    "requestBody": _json(schemas.SynonymsSchema),
                    "responses": {"200": {"description": "Stored", **_json(schemas.SynonymsSchema)}, **_BODY_ERRORS}}},
    }


@lru_cache(maxsize=1)
def spec_dict() -> dict:
    spec = APISpec(title="credbridge matching — recruiters' API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Role-fit scores from verified credentials only. Every request needs "
                                        "`Authorization: Bearer <API key>`; another tenant's data answers 404."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "errors": {"type": "object"}}})
    for path, operations in _operations().items():
        spec.path(path=path, parameters=operations.pop("parameters", None), operations=operations)
    doc = spec.to_dict()
    doc["security"] = [{"bearer": []}]
    return doc


def render_html(spec: dict) -> str:
    """A self-contained page (no scripts, no CDN): each operation, then each schema as JSON."""
    parts = [f"<h1>{html.escape(spec['info']['title'])}</h1>",
             f"<p>{html.escape(spec['info'].get('description', ''))}</p>",
             '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>', "<h2>Operations</h2>"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = ", ".join(op.get("responses", {}))
            parts.append(f"<h3><code>{method.upper()} {html.escape(path)}</code></h3>"
                         f"<p>{html.escape(op.get('summary', ''))}</p><p>Responses: {html.escape(codes)}</p>")
            params = [p for p in op.get("parameters", []) if p.get("in") == "query"]
            if params:
                parts.append("<p>Query: " + ", ".join(f"<code>{html.escape(p['name'])}</code>" for p in params) + "</p>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in spec["components"]["schemas"].items():
        parts.append(f"<h3 id='{html.escape(name)}'>{html.escape(name)}</h3>"
                     f"<pre>{html.escape(json.dumps(schema, indent=2))}</pre>")
    style = "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}pre{background:#f4f4f4;padding:.5em}"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(spec['info']['title'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
