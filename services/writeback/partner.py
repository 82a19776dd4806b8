"""The Greenhouse Assessment partner calls, as service functions: who may call, a sent test, a test's status."""
from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import datetime

from marshmallow import ValidationError

from shared.problems import Problem

from services.writeback import assessment
from services.writeback.clients.greenhouse_assessment import ASSESSMENT_REF
from services.writeback.repository import WritebackRepository

log = logging.getLogger(__name__)


def authorize(tenant: str, authorization: str | None, *, repo: WritebackRepository) -> None:
    """Greenhouse sends the partner key as HTTP Basic user name; anything else is one and the same 401."""
    scheme, _, encoded = (authorization or "").partition(" ")
    try:
        user = base64.b64decode(encoded, validate=True).decode().partition(":")[0] if scheme == "Basic" else ""
    except (binascii.Error, UnicodeDecodeError):
        user = ""
    config = repo.config(tenant, "greenhouse")
    expected = config.secrets.get("api_key") or "" if config.enabled and config.assessment else ""
    # Compared even when nothing is configured, so a tenant without an assessment connection answers alike.
    if not (hmac.compare_digest(user.encode(), expected.encode()) and expected):
        raise Problem(401, "Unauthorized", "Send this organisation's credbridge partner key as HTTP Basic user name.",
                      headers={"WWW-Authenticate": 'Basic realm="credbridge assessments"'})


def receive_test(tenant: str, body: dict, *, repo: WritebackRepository, now: datetime) -> dict:
    """send_test: remember which application the test is for and where to PATCH; the current result goes at once."""
    try:
        doc = assessment.SEND_TEST.load(body)
    except ValidationError as exc:
        raise Problem(422, "Unprocessable Content", "The send_test body is not Greenhouse's shape.",
                      errors=exc.normalized_messages()) from None
    ids = assessment.ids_of(doc["candidate"]["greenhouse_profile_url"])
    if ids is None:
        raise Problem(422, "Unprocessable Content", "greenhouse_profile_url names no application_id.")
    application_id, candidate_id = ids
    interview_id = repo.start_assessment(tenant, application_id, test_id=doc["partner_test_id"], url=doc["url"], now=now)
    repo.record_origin(tenant, application_id, provider="greenhouse", candidate_id=candidate_id,
                       refs={ASSESSMENT_REF: doc["url"]})
    repo.rewrite(tenant, application_id, now=now)
    return {"partner_interview_id": interview_id}


def status(tenant: str, interview_id: str | None, *, repo: WritebackRepository, default_base: str) -> dict:
    if not interview_id or len(interview_id) > assessment.MAX_ID:
        raise Problem(400, "Bad Request", "Give partner_interview_id.")
    sent = repo.assessment(tenant, interview_id)
    if sent is None:
        raise Problem(404, "Not Found", "No test was sent with that partner_interview_id.")
    config = repo.config(tenant, "greenhouse")
    return assessment.test_status(repo.get(tenant, sent["application_id"]), profile_url=assessment.profile_url_for(
        config.profile_url, default_base=default_base, application_id=sent["application_id"]))


def response_error(tenant: str, body: dict) -> dict:
    # Greenhouse reports what it could not accept in our answers: worth a log line (no candidate data), not a store.
    log.warning("greenhouse reported an assessment response error",
                extra={"keys": sorted(str(k) for k in body)[:10]})
    return {}
