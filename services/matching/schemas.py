"""Marshmallow schemas for what crosses the matching API: roles in and out, list queries, score views."""
from __future__ import annotations

import math

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from services.matching.scoring import IMPORTANCES

MAX_ID = 200
MAX_REQUIREMENTS = 200


class PositiveNumber(fields.Field):
    """A JSON number above 0: not a string, not a boolean, not NaN or infinity."""

    default_error_messages = {"invalid": "Must be a number greater than 0."}

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if not math.isfinite(value) or value <= 0:
            raise self.make_error("invalid")
        return float(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _label(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=MAX_ID), _not_blank], **kwargs)


class RequirementSchema(Schema):
    id = _label(required=True)
    competency = _label(required=True)
    importance = fields.String(required=True, validate=validate.OneOf(IMPORTANCES))
    weight = PositiveNumber(required=True)

    @post_load
    def tidy(self, data, **_kwargs):
        # Stored as shown to recruiters; matching itself also ignores case and spacing.
        data["competency"] = " ".join(data["competency"].split())
        return data


class RoleSchema(Schema):
    """Body of PUT /v1/roles/<role_id>."""
    title = _label(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), required=True,
                               validate=validate.Length(max=MAX_REQUIREMENTS))
    job_ids = fields.List(_label(), load_default=list, validate=validate.Length(max=MAX_REQUIREMENTS))

    @validates_schema
    def requirement_ids_are_unique(self, data, **_kwargs):
        seen, duplicates = set(), set()
        for requirement in data.get("requirements", []):
            (duplicates if requirement["id"] in seen else seen).add(requirement["id"])
        if duplicates:
            raise ValidationError(f"Requirement ids must be unique; repeated: {', '.join(sorted(duplicates))}.",
                                  field_name="requirements")


class RoleKeySchema(Schema):
    role_id = _label(required=True)


class ApplicationKeySchema(Schema):
    application_id = _label(required=True)


class RoleListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # tolerate tracking parameters and the like on a GET

    after = fields.String(load_default="", validate=validate.Length(max=MAX_ID))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class RescoringSchema(Schema):
    pending = fields.Integer()
    done = fields.Integer()


class RoleViewSchema(Schema):
    role_id = fields.String()
    title = fields.String()
    requirements = fields.List(fields.Nested(RequirementSchema))
    job_ids = fields.List(fields.String())
    revision = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    rescoring = fields.Nested(RescoringSchema)


class RoleListSchema(Schema):
    roles = fields.List(fields.Nested(RoleViewSchema(exclude=("rescoring",))))
    next_after = fields.String(allow_none=True)


class IssuerSchema(Schema):
    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class CredentialViewSchema(Schema):
    credential_id = fields.String()
    verdict = fields.String(allow_none=True)
    achievement = fields.String(allow_none=True)
    issuer = fields.Nested(IssuerSchema)


class RequirementScoreSchema(RequirementSchema):
    status = fields.String()
    reason = fields.String()
    credentials = fields.List(fields.Nested(CredentialViewSchema))


class ScoreViewSchema(Schema):
    application_id = fields.String()
    role_id = fields.String(allow_none=True)
    status = fields.String()
    score = fields.Integer(allow_none=True)
    score_version = fields.String()
    computed_at = fields.DateTime(allow_none=True)
    reason = fields.String()
    requirements = fields.List(fields.Nested(RequirementScoreSchema))
    credentials = fields.List(fields.Nested(CredentialViewSchema))
