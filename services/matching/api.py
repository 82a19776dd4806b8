"""The recruiter-facing HTTP API: roles and application scores, scoped to the API key's tenant."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, request, url_for

from shared.http import json_body
from shared.problems import Problem
from shared.tenants import TenantRepository, bearer_tenant

from services.matching import schemas, service
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


@dataclass(frozen=True)
class Context:
    """What the routes are handed by the app factory."""
    repo: MatchingRepository
    tenants: TenantRepository


def _context() -> Context:
    return current_app.extensions["matching"]


def _tenant() -> str:
    return bearer_tenant(_context().tenants, request.headers.get("Authorization"))


@bp.errorhandler(service.NotFound)
def _not_found(exc: service.NotFound):
    return Problem(404, "Not Found", str(exc)).response()


@bp.put("/roles/<role_id>")
def put_role(role_id: str):
    tenant = _tenant()
    role_id = _ROLE_KEY.load({"role_id": role_id})["role_id"]
    body = _ROLE_IN.load(json_body(MAX_BODY_BYTES))
    view, created = service.put_role(tenant, role_id, body=body, repo=_context().repo)
    if created:
        return _ROLE_OUT.dump(view), 201, {"Location": url_for(".get_role", role_id=role_id)}
    return _ROLE_OUT.dump(view), 200


@bp.get("/roles/<role_id>")
def get_role(role_id: str):
    view = service.get_role(_tenant(), role_id, repo=_context().repo)
    return _ROLE_OUT.dump(view)


@bp.delete("/roles/<role_id>")
def delete_role(role_id: str):
    service.delete_role(_tenant(), role_id, repo=_context().repo)
    return "", 204


@bp.get("/roles")
def list_roles():
    tenant = _tenant()
    query = _LIST_QUERY.load(request.args.to_dict())
    return _ROLES_OUT.dump(service.list_roles(tenant, after=query["after"], limit=query["limit"], repo=_context().repo))


@bp.get("/applications/<application_id>/score")
def get_score(application_id: str):
    tenant = _tenant()
    application_id = _APPLICATION_KEY.load({"application_id": application_id})["application_id"]
    return _SCORE_OUT.dump(service.score_view(tenant, application_id, repo=_context().repo))
