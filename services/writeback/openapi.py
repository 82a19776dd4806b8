"""The write-back HTTP app's OpenAPI 3 document: Greenhouse's Assessment partner calls (served at /openapi.json)."""
from __future__ import annotations

from functools import lru_cache

PROBLEM = {"description": "A problem document (RFC 9457).",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
UNAUTHORIZED = {**PROBLEM, "description": "Not this organisation's partner key (HTTP Basic user name)."}


def _json(ref: str, why: str) -> dict:
    return {"description": why, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _body_errors() -> dict:
    return {"400": {**PROBLEM, "description": "The body is not a JSON object, or nests too deeply."},
            "401": UNAUTHORIZED, "413": {**PROBLEM, "description": "The body is too large."},
            "415": {**PROBLEM, "description": "Not application/json."}}


@lru_cache(maxsize=1)
def spec_dict() -> dict:
    tenant = [{"in": "path", "name": "tenant", "required": True, "schema": {"type": "string"}}]
    base = "/v1/assessments/greenhouse/{tenant}"
    return {
        "openapi": "3.0.3",
        "info": {"title": "credbridge write-back — Greenhouse Assessment partner", "version": "1",
                 "description": "The four calls Greenhouse makes to an assessment partner, one set per tenant."},
        "paths": {
            f"{base}/list_tests": {"parameters": tenant, "get": {
                "summary": "The one test credbridge offers.",
                "responses": {"200": _json("Tests", "The tests"), "401": UNAUTHORIZED}}},
            f"{base}/send_test": {"parameters": tenant, "post": {
                "summary": "A recruiter sent the test: which application, and where to PATCH when its result changes.",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": _json("Sent", "The test instance's id"), **_body_errors(),
                              "422": {**PROBLEM, "description": "Not Greenhouse's send_test shape (field errors)."}}}},
            f"{base}/test_status": {"parameters": tenant + [
                {"in": "query", "name": "partner_interview_id", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "The application's current result.",
                        "responses": {"200": _json("Status", "partner_status, partner_score, partner_profile_url"),
                                      "400": {**PROBLEM, "description": "No partner_interview_id."},
                                      "401": UNAUTHORIZED,
                                      "404": {**PROBLEM, "description": "No test was sent with that id."}}}},
            f"{base}/response_error": {"parameters": tenant, "post": {
                "summary": "Greenhouse reports an answer it could not accept (logged).",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "Noted", "content": {"application/json": {
                    "schema": {"type": "object"}}}}, **_body_errors()}}},
        },
        "components": {"schemas": {
            "Tests": {"type": "object", "properties": {"tests": {"type": "array", "items": {"type": "object"}}}},
            "Sent": {"type": "object", "required": ["partner_interview_id"],
                     "properties": {"partner_interview_id": {"type": "string"}}},
            "Status": {"type": "object", "required": ["partner_status"], "properties": {
                "partner_status": {"type": "string", "enum": ["sent", "complete"]},
                "partner_score": {"type": "number"}, "partner_profile_url": {"type": "string"},
                "metadata": {"type": "object"}}},
            "Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "errors": {"type": "object"}}}}},
    }
