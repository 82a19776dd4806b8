"""The recruiter-facing HTTP API: roles and application scores, scoped to the API key's tenant."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Response, current_app, request, url_for

from shared.http import json_body
from shared.problems import Problem
from shared.ratelimit import Guard
from shared.tenants import TenantRepository, bearer_tenant

from services.matching import issuers, job_descriptions, openapi, recruiter, schemas, service, suggesting
from services.matching.queries import RecruiterQueries
from services.matching.repository import MatchingRepository

MAX_BODY_BYTES = 256 * 1024

bp = Blueprint("matching", __name__, url_prefix="/v1")

_ROLE_IN = schemas.RoleSchema()
_ROLE_KEY = schemas.RoleKeySchema()
_APPLICATION_KEY = schemas.ApplicationKeySchema()
_LIST_QUERY = schemas.RoleListQuerySchema()
_ROLE_OUT = schemas.RoleViewSchema()
_ROLES_OUT = schemas.RoleListSchema()
_SCORE_OUT = schemas.ScoreViewSchema()
_CANDIDATES_QUERY = schemas.CandidatesQuerySchema()
_CANDIDATES_OUT = schemas.CandidatesPageSchema()
_CANDIDATE_KEY = schemas.CandidateKeySchema()
_CREDENTIALS_OUT = schemas.CandidateCredentialsSchema()
_SYNONYMS = schemas.SynonymsSchema()
_SUGGEST_IN = schemas.SuggestRequestSchema()
_CREDIBILITY = schemas.CredibilityListSchema()
_SUGGESTIONS_OUT = schemas.SuggestionsSchema()


@dataclass(frozen=True)
class Context:
    """What the routes are handed by the app factory."""
    repo: MatchingRepository
    tenants: TenantRepository
    queries: RecruiterQueries | None = None  # the read side; None in unit tests that run no database
    # (tenant, application_id) -> where and when its score was last written back into the ATS (writeback.py)
    writeback: Callable[[str, str], dict | None] | None = None
    limit: Guard | None = None               # requests per tenant; None in unit tests
    descriptions: job_descriptions.JobDescriptions | None = None  # the ATS's adverts; None in unit tests


def _context() -> Context:
    return current_app.extensions["matching"]


def _queries() -> RecruiterQueries:
    queries = _context().queries
    if queries is None:  # an app built without the read side, as unit tests build it
        raise Problem(501, "Not Implemented", "This server has no recruiter read side configured.")
    return queries


def _tenant() -> str:
    tenant = bearer_tenant(_context().tenants, request.headers.get("Authorization"))
    limit = _context().limit
    if limit is not None:
        limit.check(tenant)
    return tenant


@bp.errorhandler(service.NotFound)
def _not_found(exc: service.NotFound):
    return Problem(404, "Not Found", str(exc)).response()


@bp.put("/roles/<role_id>")
def put_role(role_id: str):
    tenant = _tenant()
    role_id = _ROLE_KEY.load({"role_id": role_id})["role_id"]
    body = _ROLE_IN.load(json_body(MAX_BODY_BYTES))
    view, created = service.put_role(tenant, role_id, body=body, repo=_context().repo)
    view = job_descriptions.described(tenant, view, descriptions=_context().descriptions)
    if created:
        return _ROLE_OUT.dump(view), 201, {"Location": url_for(".get_role", role_id=role_id)}
    return _ROLE_OUT.dump(view), 200


@bp.get("/roles/<role_id>")
def get_role(role_id: str):
    tenant = _tenant()
    view = service.get_role(tenant, role_id, repo=_context().repo)
    return _ROLE_OUT.dump(job_descriptions.described(tenant, view, descriptions=_context().descriptions))


@bp.delete("/roles/<role_id>")
def delete_role(role_id: str):
    service.delete_role(_tenant(), role_id, repo=_context().repo)
    return "", 204


@bp.get("/roles")
def list_roles():
    tenant = _tenant()
    query = _LIST_QUERY.load(request.args.to_dict())
    return _ROLES_OUT.dump(service.list_roles(tenant, after=query["after"], limit=query["limit"], repo=_context().repo))


@bp.post("/roles/<role_id>/suggest")
def suggest_requirements(role_id: str):
    tenant = _tenant()
    role_id = _ROLE_KEY.load({"role_id": role_id})["role_id"]
    # No body at all reads the role's own description; any body must be a JSON object.
    sent = request.content_length or request.mimetype == "application/json"
    body = _SUGGEST_IN.load(json_body(MAX_BODY_BYTES) if sent else {})
    return _SUGGESTIONS_OUT.dump(suggesting.suggest_for_role(tenant, role_id, description=body["description"],
                                                             repo=_context().repo,
                                                             descriptions=_context().descriptions))


@bp.get("/applications/<application_id>/score")
def get_score(application_id: str):
    tenant = _tenant()
    application_id = _APPLICATION_KEY.load({"application_id": application_id})["application_id"]
    view = service.score_view(tenant, application_id, repo=_context().repo)
    written_back = _context().writeback
    if written_back is not None:
        view["writeback"] = written_back(tenant, application_id)
    return _SCORE_OUT.dump(view)


@bp.get("/roles/<role_id>/candidates")
def list_candidates(role_id: str):
    tenant = _tenant()
    role_id = _ROLE_KEY.load({"role_id": role_id})["role_id"]
    query = _CANDIDATES_QUERY.load(request.args.to_dict())
    exists = _context().repo.get_role(tenant, role_id) is not None
    page = recruiter.candidates_page(tenant, role_id, query=query, queries=_queries(), role_exists=exists)
    return _CANDIDATES_OUT.dump(page)


@bp.get("/candidates/<candidate_id>/credentials")
def candidate_credentials(candidate_id: str):
    tenant = _tenant()
    candidate_id = _CANDIDATE_KEY.load({"candidate_id": candidate_id})["candidate_id"]
    return _CREDENTIALS_OUT.dump(recruiter.candidate_credentials(tenant, candidate_id, queries=_queries()))


@bp.get("/synonyms")
def get_synonyms():
    return _SYNONYMS.dump({"groups": _context().repo.get_synonyms(_tenant())})


@bp.put("/synonyms")
def put_synonyms():
    tenant = _tenant()
    body = _SYNONYMS.load(json_body(MAX_BODY_BYTES))
    return _SYNONYMS.dump(service.put_synonyms(tenant, groups=body["groups"], repo=_context().repo))


@bp.get("/credibility")
def get_credibility():
    return _CREDIBILITY.dump(issuers.get_list(_tenant(), repo=_context().repo))


@bp.put("/credibility")
def put_credibility():
    tenant = _tenant()
    if request.mimetype == "text/csv":
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise Problem(413, "Content Too Large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.")
        body = issuers.from_csv(request.get_data(as_text=True))
    else:
        body = _CREDIBILITY.load(json_body(MAX_BODY_BYTES))
    return _CREDIBILITY.dump(issuers.put_list(tenant, body=body, repo=_context().repo))


docs = Blueprint("matching_docs", __name__)


@docs.get("/openapi.json")
def openapi_json():
    return openapi.spec_dict()


@docs.get("/docs")
def openapi_docs():
    return Response(openapi.render_html(openapi.spec_dict()), mimetype="text/html")
