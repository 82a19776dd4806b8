"""Marshmallow schemas for what crosses the matching API: roles in and out, list queries, score views."""
from __future__ import annotations

import math

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from services.matching import credibility
from services.matching.scoring import IMPORTANCES

MAX_ID = 200
MAX_REQUIREMENTS = 200
MAX_ALIASES = 50
MAX_STACK = 50
MAX_SYNONYM_GROUPS = 1000
MAX_DESCRIPTION = 50_000  # characters: a long job advert is ~10,000


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


class LevelField(fields.Field):
    """A minimum level: a rubric level's id or name (a string) or a numeric result."""

    default_error_messages = {"invalid": "Must be a level name (string) or a finite number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.strip() and len(value) <= MAX_ID:
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise self.make_error("invalid")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class ConceptSchema(Schema):
    """A competency's concept: ESCO / O*NET / CASE CFItem / the tenant's own framework, by code and/or uri."""
    framework = _label(required=True)
    code = _label(load_default=None)
    uri = fields.Url(load_default=None, validate=validate.Length(max=1000))

    @validates_schema
    def names_the_concept(self, data, **_kwargs):
        if not data.get("code") and not data.get("uri"):
            raise ValidationError("Give the concept's code, its uri, or both.", field_name="code")


class StackItemSchema(Schema):
    label = _label(required=True)
    aliases = fields.List(_label(), load_default=list, validate=validate.Length(max=MAX_ALIASES))
    concept = fields.Nested(ConceptSchema, load_default=None, allow_none=True)


class StackSchema(Schema):
    """any_of: `count` of the listed achievements together satisfy the requirement."""
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_STACK))
    of = fields.List(fields.Nested(StackItemSchema), required=True, validate=validate.Length(min=1, max=MAX_STACK))

    @validates_schema
    def count_fits(self, data, **_kwargs):
        if "count" in data and "of" in data and data["count"] > len(data["of"]):
            raise ValidationError("count cannot exceed the number of items in 'of'.", field_name="count")


class NarrowerSchema(Schema):
    """narrower: `count` distinct concepts below the requirement's, each shown by its own credential, meet it."""
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_STACK))


class RequirementSchema(Schema):
    id = _label(required=True)
    competency = _label(required=True)
    concept = fields.Nested(ConceptSchema, load_default=None, allow_none=True)
    aliases = fields.List(_label(), load_default=list, validate=validate.Length(max=MAX_ALIASES))
    importance = fields.String(required=True, validate=validate.OneOf(IMPORTANCES))
    weight = PositiveNumber(required=True)
    min_level = LevelField(load_default=None, allow_none=True)
    max_age_months = PositiveNumber(load_default=None, allow_none=True)
    any_of = fields.Nested(StackSchema, load_default=None, allow_none=True)
    narrower = fields.Nested(NarrowerSchema, load_default=None, allow_none=True, metadata={
        "description": "Credentials stack: this many distinct concepts narrower than the requirement's (ESCO's "
                       "hierarchy, e.g. the skills of group K0613, or the vocabulary's links), each shown by a "
                       "different verified credential, meet it; fewer earn their share."})

    @validates_schema
    def one_kind_of_stack(self, data, **_kwargs):
        if data.get("any_of") and data.get("narrower"):
            raise ValidationError("Give any_of or narrower, not both.", field_name="narrower")

    @post_load
    def tidy(self, data, **_kwargs):
        # Stored as shown to recruiters; matching itself also ignores case, punctuation and plurals.
        data["competency"] = " ".join(data["competency"].split())
        return data


class Weight(fields.Field):
    """A JSON number from 0 to 1."""

    default_error_messages = {"invalid": "Must be a number from 0 to 1."}

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid")
        if not 0 <= value <= 1:
            raise self.make_error("invalid")
        return float(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class CredibilityPolicySchema(Schema):
    """How much the issuer's tier weighs the evidence (services/matching/credibility.py)."""
    weights = fields.Dict(keys=fields.String(validate=validate.OneOf(credibility.TIERS)), values=Weight(),
                          load_default=dict, metadata={
                              "description": "accredited / recognised / known / unknown -> 0..1, multiplying the "
                                             "credit a credential earns; a tier not named weighs 1."})
    essential_minimum = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(credibility.TIERS),
                                      metadata={"description": "The least tier a credential's issuer needs for it "
                                                               "to count towards an essential requirement."})


class RoleSchema(Schema):
    """Body of PUT /v1/roles/<role_id>."""
    title = _label(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), required=True,
                               validate=validate.Length(max=MAX_REQUIREMENTS))
    job_ids = fields.List(_label(), load_default=list, validate=validate.Length(max=MAX_REQUIREMENTS))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_DESCRIPTION),
                                metadata={"description": "The job description (from the ATS); "
                                                         "POST /v1/roles/<id>/suggest reads it."})
    credibility = fields.Nested(CredibilityPolicySchema, load_default=None, allow_none=True)

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


class JobDescriptionSchema(Schema):
    """The advert the ATS's job API gave for one of the role's jobs (never the recruiter's own description)."""
    job_id = fields.String()
    provider = fields.String()
    title = fields.String(allow_none=True)
    text = fields.String(metadata={"description": "The advert as plain text (the ATS's HTML read as text)."})
    source = fields.String(metadata={"description": "Which job API gave it, e.g. lever.postings."})
    fetched_at = fields.DateTime()


class RoleViewSchema(Schema):
    role_id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True, metadata={
        "description": "The recruiter's own description (set by PUT); the ATS's advert never overwrites it."})
    job_description = fields.Nested(JobDescriptionSchema, allow_none=True, metadata={
        "description": "The ATS's advert for the role's job, fetched from its job API; read by suggest when the "
                       "recruiter set no description."})
    requirements = fields.List(fields.Nested(RequirementSchema))
    credibility = fields.Nested(CredibilityPolicySchema, allow_none=True)
    job_ids = fields.List(fields.String())
    revision = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    rescoring = fields.Nested(RescoringSchema)


class RoleSummarySchema(RoleViewSchema):
    class Meta:
        exclude = ("rescoring", "description", "job_description")


class RoleListSchema(Schema):
    roles = fields.List(fields.Nested(RoleSummarySchema))
    next_after = fields.String(allow_none=True)


class IssuerSchema(Schema):
    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    tier = fields.String(metadata={"description": "accredited, recognised, known or unknown (credibility.py)."})
    tier_why = fields.String(metadata={"description": "Why: \"accredited by …\", \"in your trust registry\", "
                                                      "\"issuer not in your registry\"..."})


class CredentialViewSchema(Schema):
    credential_id = fields.String()
    verdict = fields.String(allow_none=True, metadata={"description": "The verification report's verdict."})
    status = fields.String(metadata={"description": "verified, failed, revoked, suspended, expired, indeterminate, "
                                                    "unsupported, recipient_unconfirmed (nothing ties it to this "
                                                    "candidate), unverified (no verdict yet) or unavailable (no "
                                                    "verdict within the verification deadline; not counted)."})
    achievement = fields.String(allow_none=True)
    achieved_level = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    issuer = fields.Nested(IssuerSchema)
    reason = fields.String(metadata={"description": "Why an unavailable credential has no verdict (only then)."})


class UsedCredentialSchema(CredentialViewSchema):
    match = fields.String(metadata={"description": "alignment, label, alias, synonym, vocabulary or fuzzy."})
    credit = fields.Float()
    confidence = fields.Float(metadata={"description": "How sure the match is, 0 to 1: 1 for alignment, label, alias "
                                                       "and synonym matches, less for fuzzy ones."})


class RequirementScoreSchema(Schema):
    id = fields.String()
    competency = fields.String()
    importance = fields.String()
    weight = fields.Float()
    status = fields.String(metadata={"description": "met, partial, missing or pending."})
    credit = fields.Float(metadata={"description": "0 to 1: the share of this requirement's weight earned."})
    reason = fields.String()
    credentials = fields.List(fields.Nested(UsedCredentialSchema))


class UnretrievedSchema(Schema):
    provenance = fields.String(metadata={"description": "Where ingest found the credential."})
    reason = fields.String(metadata={"description": "Why it could not be retrieved."})
    status = fields.String(metadata={"description": "Always 'could not be retrieved'."})


class ScoreViewSchema(Schema):
    application_id = fields.String()
    role_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "scored; pending (credentials still being verified: no score "
                                                    "yet, requirements not met yet are pending); unscored (the "
                                                    "role has no requirements); or awaiting_application."})
    score = fields.Integer(allow_none=True)
    score_version = fields.String()
    computed_at = fields.DateTime(allow_none=True)
    reason = fields.String()
    requirements = fields.List(fields.Nested(RequirementScoreSchema))
    credentials = fields.List(fields.Nested(CredentialViewSchema))
    unretrieved = fields.List(fields.Nested(UnretrievedSchema), metadata={
        "description": "Credentials found for the applicant that could not be retrieved (not counted)."})
    writeback = fields.Dict(allow_none=True, metadata={
        "description": "When and where the score was last written back into the ATS (provider, outcome, written_at, "
                       "score, where: the note/field/tag ids), or null when its connection does not write back."})


class CandidatesQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    min_score = fields.Integer(load_default=None, validate=validate.Range(min=0, max=100))
    status = fields.String(load_default=None, validate=validate.OneOf(("scored", "unscored", "pending")), metadata={
        "description": "scored or unscored filter the ranking; pending lists the applications whose credentials are "
                       "still being verified (left out otherwise)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(min=1, max=1000))


class CandidateRowSchema(Schema):
    application_id = fields.String()
    candidate_id = fields.String(allow_none=True)
    status = fields.String()
    score = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    score_version = fields.String(allow_none=True)
    computed_at = fields.DateTime(allow_none=True)
    requirements = fields.Dict(keys=fields.String(), values=fields.String(),
                               metadata={"description": "requirement id -> met / partial / missing / pending"})


class CandidatesPageSchema(Schema):
    role_id = fields.String()
    as_of = fields.DateTime(metadata={"description": "The ranking this walk lists (see the cursor guarantee)."})
    candidates = fields.List(fields.Nested(CandidateRowSchema))
    moved_since_start = fields.Integer(metadata={"description": "Applications scored or re-scored after as_of, "
                                                                "left out of this walk."})
    next_cursor = fields.String(allow_none=True)


class CheckViewSchema(Schema):
    code = fields.String()
    status = fields.String()
    message = fields.String()


class CandidateCredentialSchema(CredentialViewSchema):
    application_id = fields.String(allow_none=True)
    format = fields.String(allow_none=True)
    checked_at = fields.DateTime(allow_none=True)
    checks = fields.List(fields.Nested(CheckViewSchema))


class CandidateCredentialsSchema(Schema):
    candidate_id = fields.String()
    credentials = fields.List(fields.Nested(CandidateCredentialSchema))


class CandidateKeySchema(Schema):
    candidate_id = _label(required=True)


class SynonymsSchema(Schema):
    """The tenant's groups of interchangeable words, e.g. [["k8s", "Kubernetes"]]; replaces the previous set."""
    groups = fields.List(fields.List(_label(), validate=validate.Length(min=2, max=MAX_ALIASES)), required=True,
                         validate=validate.Length(max=MAX_SYNONYM_GROUPS))


class SuggestRequestSchema(Schema):
    """Body of POST /v1/roles/<role_id>/suggest; without a description, the stored role's is read."""
    description = fields.String(load_default=None, allow_none=True,
                                validate=[validate.Length(min=1, max=MAX_DESCRIPTION), _not_blank])


class SuggestedConceptSchema(Schema):
    framework = fields.String()
    uri = fields.String()
    code = fields.String()


class SuggestionSchema(Schema):
    competency = fields.String(metadata={"description": "The concept's preferred label."})
    concept = fields.Nested(SuggestedConceptSchema)
    phrase = fields.String(metadata={"description": "The words of the description that named it (first mention)."})
    mentions = fields.Integer()
    importance = fields.String(metadata={"description": "essential or preferred, from the wording around it."})
    importance_cue = fields.String(allow_none=True, metadata={
        "description": "The words that gave the importance (\"must\", \"nice to have\"); null: the text did not say."})
    confidence = fields.Float(metadata={"description": "0 to 1: how sure the phrase names this concept."})
    already_required = fields.Boolean(metadata={"description": "The role already has a requirement for it."})
    requirement = fields.Nested(RequirementSchema, metadata={
        "description": "The suggestion as a requirement, to PUT in the role once accepted or edited."})


class SuggestionsSchema(Schema):
    role_id = fields.String()
    description_from = fields.String(metadata={
        "description": "body, role (the recruiter's) or ats (the ATS's advert): which description was read."})
    taxonomy = fields.String()
    note = fields.String()
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class CredibilityEntrySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("issuer", "did", "domain")))
    value = fields.String(required=True, validate=validate.Length(min=1, max=500))
    tier = fields.String(required=True, validate=validate.OneOf(credibility.LISTED_TIERS))
    accredited_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                                  metadata={"description": "The accrediting body; required for accredited."})

    @post_load
    def checked(self, data, **_kwargs):
        try:
            return credibility.parse_entry(data).to_dict()
        except credibility.EntryError as exc:
            raise ValidationError(str(exc), field_name=exc.field_name) from exc


class CredibilityListSchema(Schema):
    """The tenant's credibility list: issuers (by id, DID or domain) and their tiers; replaces the previous list."""
    issuers = fields.List(fields.Nested(CredibilityEntrySchema), required=True,
                          validate=validate.Length(max=credibility.MAX_ENTRIES))
