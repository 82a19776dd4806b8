"""marshmallow schemas for what crosses ingest's boundary: credbridge's generic applicant format."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

_ID = validate.Length(min=1, max=200)


class GenericCredentialSchema(Schema):
    url = fields.Url(load_default=None, schemes={"http", "https"})
    document = fields.Dict(load_default=None)
    jwt = fields.String(load_default=None, validate=validate.Length(min=1, max=200_000))

    @validates_schema
    def exactly_one(self, data, **_kwargs):
        given = [k for k in ("url", "document", "jwt") if data.get(k) is not None]
        if len(given) != 1:
            raise ValidationError("give exactly one of url, document, jwt")


class GenericApplicationSchema(Schema):
    id = fields.String(required=True, validate=_ID)
    job_id = fields.String(required=True, validate=_ID)


class GenericCandidateSchema(Schema):
    id = fields.String(required=True, validate=_ID)
    name = fields.String(load_default=None, validate=validate.Length(max=500))
    emails = fields.List(fields.Email(), load_default=list, validate=validate.Length(max=20))


class GenericWebhookSchema(Schema):
    event_id = fields.String(required=True, validate=_ID)
    application = fields.Nested(GenericApplicationSchema, required=True)
    candidate = fields.Nested(GenericCandidateSchema, required=True)
    credentials = fields.List(fields.Nested(GenericCredentialSchema), load_default=list,
                              validate=validate.Length(max=50))
