"""Marshmallow schemas for what crosses the verification API's boundary."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.events import ReportSchema

MAX_BODY_BYTES = 1_048_576  # 1 MiB: far above any real credential, far below a memory problem

# Content types POST /v1/verify accepts, by how the body is read.
JWT_TYPES = ("application/vc+jwt", "application/jwt")
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/vc")


class VerifyQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters are ignored, as on any GET-style URL

    # The applicant's address for the recipient check; without it the check says "not checked".
    email = fields.Email(load_default=None)


class VerifyJwtBodySchema(Schema):
    """`{"jwt": "<compact VC-JWT>"}`; unknown members are rejected (marshmallow's default)."""
    jwt = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY_BYTES))


class VcApiOptionsSchema(Schema):
    """VC-API VerifyCredentialOptions; the suites also send `checks`. What the verifier checks does not bend
    to options (every check always runs), so they are read only to be validated as an object."""

    class Meta:
        unknown = EXCLUDE


class VcApiVerifyBodySchema(Schema):
    """VC-API `POST /credentials/verify`: {"verifiableCredential": {...}, "options": {...}}."""
    verifiableCredential = fields.Dict(required=True)  # noqa: N815 - the VC-API's member name
    options = fields.Nested(VcApiOptionsSchema, load_default=dict)


VERIFY_QUERY = VerifyQuerySchema()
VC_API_VERIFY_BODY = VcApiVerifyBodySchema()
VERIFY_JWT_BODY = VerifyJwtBodySchema()
REPORT = ReportSchema()
