"""The Greenhouse Assessment partner shape, pure: what credbridge answers Greenhouse's partner calls with.

Source: https://developers.greenhouse.io/assessment.html (github.com/grnhse/greenhouse-api-docs,
source/includes/assessment/): Greenhouse calls the partner's `list_tests`, `send_test` (body `partner_test_id`,
`candidate` {first_name, last_name, email, greenhouse_profile_url, …}, `url`; answer `{"partner_interview_id"}`)
and `test_status?partner_interview_id=` (answer `partner_status` — "complete" once results are available —
`partner_profile_url` (required when complete), `partner_score` (a number), `metadata` (a flat object of
primitives)); HTTP Basic with the organisation's partner API key. Since 2019 a partner tells Greenhouse about a
result by PATCHing the `url` from send_test, which makes Greenhouse call test_status.
"""
from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

from marshmallow import EXCLUDE, Schema, fields, validate

TEST_ID = "credbridge-verified-credentials"
TESTS = {"tests": [{"partner_test_id": TEST_ID,
                    "partner_test_name": "credbridge: verified credentials against the role's requirements"}]}
MAX_ID = 128


class CandidateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.String(required=True, validate=validate.Length(max=320))
    greenhouse_profile_url = fields.Url(required=True, schemes={"https", "http"}, validate=validate.Length(max=2048))


class SendTestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    partner_test_id = fields.String(required=True, validate=validate.OneOf([TEST_ID]))
    candidate = fields.Nested(CandidateSchema, required=True)
    url = fields.Url(required=True, schemes={"https", "http"}, validate=validate.Length(max=2048))


SEND_TEST = SendTestSchema()


def ids_of(profile_url: str) -> tuple[str, str | None] | None:
    """`https://app.greenhouse.io/people/<candidate>?application_id=<application>` -> (application, candidate)."""
    parts = urlsplit(profile_url)
    application = (parse_qs(parts.query).get("application_id") or [""])[0]
    if not application or len(application) > MAX_ID or not application.isalnum():
        return None
    segments = [s for s in parts.path.split("/") if s]
    candidate = segments[1] if len(segments) == 2 and segments[0] == "people" and segments[1].isalnum() else None
    return application, candidate


def test_status(record: dict | None, *, profile_url: str) -> dict:
    """The test_status answer for one application's write-back record (None: no final score yet)."""
    desired = (record or {}).get("desired") or {}
    if not desired:
        return {"partner_status": "sent"}
    requirements = desired.get("requirements") or []
    met = sum(1 for r in requirements if r.get("status") == "met")
    doc: dict = {"partner_status": "complete", "partner_profile_url": profile_url,
                 "metadata": {"Status": str(desired.get("status")), "Verified requirements": f"{met}/{len(requirements)}",
                              "Reason": str(desired.get("reason") or "")[:500],
                              "Score version": str(desired.get("score_version"))}}
    if isinstance(desired.get("score"), int):
        doc["partner_score"] = desired["score"]
    return doc


def profile_url_for(template: str | None, *, default_base: str, application_id: str) -> str:
    """Where a recruiter reads the whole explanation: `--profile-url` with `{application_id}`, or the score API."""
    safe = quote(application_id, safe="")
    if template:
        return template.replace("{application_id}", safe)
    return f"{default_base.rstrip('/')}/v1/applications/{safe}/score"
