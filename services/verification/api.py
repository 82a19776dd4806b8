"""The verification blueprint: POST /v1/verify answers a report synchronously, POST /credentials/verify the same
verification as a VC-API result; nothing is stored."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Blueprint, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from services.verification import vcapi
from services.verification.schemas import (JSON_TYPES, JWT_TYPES, MAX_BODY_BYTES, REPORT, VC_API_VERIFY_BODY,
                                           VERIFY_JWT_BODY, VERIFY_QUERY)
from services.verification.verifier import Verifier
from shared import safejson
from shared.problems import Problem
from shared.ratelimit import client_key
from shared.tenants import bearer_tenant

bp = Blueprint("verification", __name__)


@bp.post("/v1/verify")
def verify():
    """The report for the body; `?email=` binds it to an applicant, a Bearer API key to a tenant's trust registry."""
    email = VERIFY_QUERY.load(request.args)["email"]
    tenant = _tenant()
    _count(tenant)
    submission = _submission()
    report = _verifier()(submission, tenant=tenant, emails=[email] if email else [], now=datetime.now(timezone.utc))
    return REPORT.dump(report), 200


@bp.post("/credentials/verify")
def verify_vc_api():
    """VC-API: 200 {"verified": true, ...} for a verified credential, 422 problem+json for one that is not."""
    tenant = _tenant()
    body = _vc_api_body()
    report = _verifier()(vcapi.submission(body), tenant=tenant, emails=[], now=datetime.now(timezone.utc))
    return vcapi.answer(report)


def _vc_api_body() -> dict:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise _too_large()
    if request.mimetype not in JSON_TYPES:
        raise Problem(415, "Unsupported Media Type", f"Send one of: {', '.join(JSON_TYPES)}.")
    try:
        return VC_API_VERIFY_BODY.load(_json_object(_body()))
    except ValidationError as exc:
        # VC-API: invalid input is a 400 (a 422 here means "verified false").
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise Problem(400, "Bad Request", "The body is not a VC-API verify request.", errors=errors) from None


def _tenant() -> str | None:
    """The tenant of an optional `Authorization: Bearer <key>`; a key that is sent must be valid (else 401)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    tenants = current_app.extensions.get("credbridge_tenants")
    if tenants is None:
        raise Problem(401, "Unauthorized", "This verifier has no tenants; send no Authorization header.")
    return bearer_tenant(tenants, header)


def _count(tenant: str | None) -> None:
    """Per tenant with a key; per client address without one, limited hardest (each call may fetch from the web)."""
    limits = current_app.extensions.get("credbridge_limits")
    if limits is None:
        return  # a bare app (tests of the blueprint) has no limits
    if tenant is not None:
        limits["tenant"].check(tenant)
    else:
        limits["anonymous"].check(client_key(request.remote_addr))


def _verifier() -> Verifier:
    # create_app() binds one per process; a bare app (tests of the blueprint) verifies offline.
    return current_app.extensions.get("credbridge_verifier") or Verifier(current_app.config["SETTINGS"])


def _submission() -> dict:
    """{"jwt": ...} or {"document": ...} from the body, or a 4xx problem saying what is wrong with it."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise _too_large()
    mimetype = request.mimetype
    if mimetype not in JWT_TYPES + JSON_TYPES:
        raise Problem(415, "Unsupported Media Type", f"Send one of: {', '.join(JSON_TYPES + JWT_TYPES)}.")
    body = _body()
    if mimetype in JWT_TYPES:
        # Undecodable bytes are not rejected here: the verifier reports them as a failed jwt.decode.
        return {"jwt": body.decode("utf-8", errors="replace").strip()}
    return _json_submission(body)


def _body() -> bytes:
    # Bounds the read itself, so a streamed body without Content-Length cannot exceed the limit
    # either. werkzeug's limited stream stops silently at its limit, so one byte more than allowed
    # is read on purpose: that is how an over-long body is told from one exactly at the limit.
    request.max_content_length = MAX_BODY_BYTES + 1
    try:
        body = _read_at_most(request.stream, MAX_BODY_BYTES + 1)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    if not body.strip():
        raise Problem(400, "Bad Request", "The body is empty.")
    return body


def _read_at_most(stream, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _json_object(body: bytes) -> dict:
    try:
        data = safejson.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem(400, "Bad Request", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "The body is not a JSON object.")
    return data


def _json_submission(body: bytes) -> dict:
    data = _json_object(body)
    if "jwt" in data:
        return {"jwt": VERIFY_JWT_BODY.load(data)["jwt"]}
    return {"document": data}


def _too_large() -> Problem:
    return Problem(413, "Content Too Large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.")
