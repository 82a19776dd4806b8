"""The web UI's pages: sign-in and sign-out, roles and their editor, the ranked candidates, one application."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g, jsonify, make_response, redirect, request, url_for
from marshmallow import ValidationError

from shared.problems import Problem

from services.matching import schemas, service, suggesting
from services.matching.skills.taxonomy import esco_taxonomy
from services.matching.web import application, competencies, roleform
from services.matching.web.auth import SESSION_HOURS, SIGN_IN_COOKIE_MINUTES, cookie_names, key_id_of, new_token
from services.matching.web.ranking import SCAN_BATCHES, ranked_page
from services.matching.web.site import bp, matching, page, session, signed_in, web

_ROLE_IN = schemas.RoleSchema()
_ROLE_KEY = schemas.RoleKeySchema()
_APPLICATION_KEY = schemas.ApplicationKeySchema()
_CANDIDATES_QUERY = schemas.CandidatesQuerySchema()
_LIST_QUERY = schemas.RoleListQuerySchema()
PAGE_SIZES = (10, 25, 50, 100)


# --- signing in and out --------------------------------------------------------------------------
@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    error, status = None, 200
    if request.method == "POST":
        key = (request.form.get("api_key") or "").strip()
        tenant = matching().tenants.tenant_for_api_key(key) if len(key) <= 200 else None
        if tenant is not None:
            return _signed_in_as(tenant, key)
        error, status = "That key is not a valid recruiter key.", 401
    token = new_token()
    body, status = page("sign_in.html", status=status, error=error, signin_token=token,
                        next=_safe_next(request.values.get("next")))
    response = make_response(body, status)
    _, signin_cookie = cookie_names(secure=web().secure)
    response.set_cookie(signin_cookie, token, max_age=SIGN_IN_COOKIE_MINUTES * 60, path="/", httponly=True,
                        secure=web().secure, samesite="Lax")
    return response


def _signed_in_as(tenant: str, key: str):
    token = web().sessions.open(tenant=tenant, key_id=key_id_of(key))
    response = redirect(_safe_next(request.form.get("next")) or url_for("web.roles"), code=303)
    session_cookie, signin_cookie = cookie_names(secure=web().secure)
    response.set_cookie(session_cookie, token, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                        secure=web().secure, samesite="Lax")
    response.delete_cookie(signin_cookie, path="/", secure=web().secure, httponly=True, samesite="Lax")
    return response


def _safe_next(target: str | None) -> str | None:
    """Only a path of this UI: never another host (`//evil.example`, `/\\evil.example`) to be sent on to."""
    if target and target.startswith("/app/") and not target.startswith(("//", "/\\")) and "\\" not in target:
        return target
    return None


@bp.post("/sign-out")
def sign_out():
    if g.get("web_session") is not None:
        web().sessions.close(g.web_session)
    response = redirect(url_for("web.sign_in"), code=303)
    session_cookie, _ = cookie_names(secure=web().secure)
    response.delete_cookie(session_cookie, path="/", secure=web().secure, httponly=True, samesite="Lax")
    return response


# --- roles ---------------------------------------------------------------------------------------
@bp.get("/roles")
@signed_in
def roles():
    query = _LIST_QUERY.load({"after": request.args.get("after", ""), "limit": 50})
    listed = service.list_roles(session().tenant, after=query["after"], limit=query["limit"], repo=matching().repo)
    return page("roles.html", roles=listed["roles"], next_after=listed["next_after"])


@bp.route("/roles/new", methods=["GET", "POST"])
@signed_in
def new_role():
    if request.method == "GET":
        state = roleform.form_from_role({"requirements": []})
        state["rows"].append(roleform.blank_row())
        return _editor(state, creating=True)
    return _edit(roleform.form_from_post(request.form), creating=True)


@bp.route("/roles/<role_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_role(role_id: str):
    stored = _role(role_id)
    if request.method == "GET":
        return _editor(roleform.form_from_role(stored), creating=False)
    state = roleform.form_from_post(request.form)
    state["role_id"] = role_id
    return _edit(state, creating=False)


def _edit(state: dict, *, creating: bool):
    op = request.form.get("op", "save")
    if op == "add":
        state["rows"].append(roleform.blank_row())
        return _editor(state, creating=creating)
    if op.startswith("remove:") and op[7:].isdigit() and int(op[7:]) < len(state["rows"]):
        del state["rows"][int(op[7:])]
        return _editor(state, creating=creating)
    if op == "suggest" and not creating:
        return _suggest(state)
    return _save(state, creating=creating)


def _save(state: dict, *, creating: bool):
    tenant, repo = session().tenant, matching().repo
    body, origin = roleform.body_from_form(state)
    try:
        role_id = _ROLE_KEY.load({"role_id": state["role_id"]})["role_id"]
    except ValidationError as exc:
        state["errors"] = {"role_id": " ".join(exc.messages.get("role_id", [])) if isinstance(exc.messages, dict) else ""}
        return _editor(state, creating=creating, status=422)
    if creating and repo.get_role(tenant, role_id) is not None:
        state["errors"] = {"role_id": "A role with this id exists already: edit it instead, or choose another id."}
        return _editor(state, creating=creating, status=422)
    try:
        loaded = _ROLE_IN.load(body)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return _editor(roleform.errors_onto_form(state, messages, origin), creating=creating, status=422)
    service.put_role(tenant, role_id, body=loaded, repo=repo)
    return redirect(url_for("web.ranked", role_id=role_id, saved=1), code=303)


def _suggest(state: dict):
    try:
        found = suggesting.suggest_for_role(session().tenant, state["role_id"], description=state["description"] or None,
                                            repo=matching().repo)
    except Problem as exc:
        state["errors"] = {"description": exc.detail}
        return _editor(state, creating=False, status=exc.status)
    fresh = [s for s in found["suggestions"] if not s["already_required"]]
    taken = {r["id"] for r in state["rows"]}
    for s in fresh:
        row = roleform.form_from_role({"requirements": [s["requirement"]]})["rows"][0]
        row["id"] = row["id"] if row["id"] not in taken else ""
        row["suggested"] = f"suggested from “{s['phrase']}” ({s['confidence']:.0%} sure)"
        state["rows"].append(row)
    notice = (f"{len(fresh)} suggested requirement{'s' if len(fresh) != 1 else ''} added below: review them, then save."
              if fresh else "No new requirements found in the description.")
    return _editor(state, creating=False, notice=notice)


def _editor(state: dict, *, creating: bool, status: int = 200, notice: str | None = None):
    return page("role_edit.html", status=status, form=state, creating=creating, notice=notice,
                importances=("essential", "preferred"), tiers=("accredited", "recognised", "known", "unknown"),
                datalist=competencies.starter_labels())


@bp.get("/competencies")
@signed_in
def competency_options():
    return jsonify(competencies.options(esco_taxonomy(), request.args.get("q", "")))


# --- the ranked candidates -----------------------------------------------------------------------
@bp.get("/roles/<role_id>")
@signed_in
def ranked(role_id: str):
    tenant, ctx = session().tenant, matching()
    role = _role(role_id)
    args = {k: v for k, v in request.args.items() if k in ("min_score", "status", "limit", "cursor") and v != ""}
    args.setdefault("limit", "25")
    query = _CANDIDATES_QUERY.load(args) | {"essential": request.args.get("essential") == "1"}
    if ctx.queries is None:
        raise Problem(501, "Not Implemented", "This server has no recruiter read side configured.")
    listing = ranked_page(tenant, role, query=query, queries=ctx.queries, scores=ctx.repo.scores)
    start = _offset(request.args.get("offset"))
    filters = {k: v for k, v in (("min_score", query["min_score"]), ("status", query["status"]),
                                 ("essential", "1" if query["essential"] else None), ("limit", query["limit"]))
               if v is not None}
    return page("ranked.html", role=role, listing=listing, query=query, start=start, filters=filters,
                page_sizes=sorted({*PAGE_SIZES, query["limit"]}), scanned=SCAN_BATCHES * (query["limit"] + 1), saved=request.args.get("saved") == "1", as_of_ms=_ms(listing["as_of"]),
                rescoring=service.rescoring_progress(tenant, role, repo=ctx.repo) if request.args.get("saved") else None)


@bp.get("/roles/<role_id>/moved")
@signed_in
def moved(role_id: str):
    """How many applications moved since the walk's as_of (the page's script asks now and then)."""
    tenant, ctx = session().tenant, matching()
    _role(role_id)
    raw = request.args.get("t", "")
    if not raw.isdigit() or len(raw) > 15 or ctx.queries is None:
        raise Problem(400, "Bad Request", "t must be the listing's as_of in milliseconds.")
    as_of = datetime.fromtimestamp(int(raw) / 1000, tz=timezone.utc)
    return jsonify({"moved": ctx.queries.moved_since(tenant, role_id, as_of=as_of)})


def _role(role_id: str) -> dict:
    """The signed-in tenant's role (not its re-scoring progress, which costs a count); another's is not found."""
    role = matching().repo.get_role(session().tenant, role_id)
    if role is None:
        raise service.NotFound(f"no role {role_id!r}")
    return role


def _offset(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 0


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- one application -----------------------------------------------------------------------------
@bp.get("/applications/<application_id>")
@signed_in
def application_page(application_id: str):
    application_id = _APPLICATION_KEY.load({"application_id": application_id})["application_id"]
    ctx = matching()
    view = application.application_view(session().tenant, application_id, repo=ctx.repo, writeback=ctx.writeback)
    return page("application.html", **view)


@bp.get("/applications/<application_id>/credentials/<credential_id>/report.json")
@signed_in
def credential_report(application_id: str, credential_id: str):
    """The verification report as stored, in full: what the page's plain words were made from."""
    report = application.report_of(session().tenant, application_id, credential_id, repo=matching().repo)
    response = jsonify(report)
    response.headers["Content-Disposition"] = f'attachment; filename="report-{credential_id[:40]}.json"'
    return response
