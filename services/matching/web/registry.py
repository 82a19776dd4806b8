"""The issuer registry page: the tenant's trust registry (verification's TrustRepository, as `credbridge trust`
manages it) and its credibility list (validated by the same schema as `PUT /v1/credibility`)."""
from __future__ import annotations

from typing import Callable

from flask import redirect, request, url_for
from marshmallow import ValidationError

from services.matching import issuers, schemas
from services.matching.credibility import LISTED_TIERS
from services.matching.web.site import bp, matching, page, session, signed_in, web
from services.verification.trust import KINDS, POLICIES

_CREDIBILITY = schemas.CredibilityListSchema()


@bp.get("/issuers")
@signed_in
def issuer_registry():
    return _render()


def _render(*, status: int = 200, trust_form: dict | None = None, trust_error: str | None = None,
            credibility_form: dict | None = None, credibility_errors: dict | None = None):
    tenant = session().tenant
    return page("issuers.html", status=status, entries=web().trust.list(tenant), policy=web().trust.policy(tenant),
                policies=POLICIES, kinds=KINDS, tiers=LISTED_TIERS,
                credibility=issuers.get_list(tenant, repo=matching().repo)["issuers"],
                trust_form=trust_form or {}, trust_error=trust_error,
                credibility_form=credibility_form or {}, credibility_errors=credibility_errors or {},
                done=request.args.get("done"))


def _back(done: str):
    return redirect(url_for("web.issuer_registry", done=done), code=303)


@bp.post("/issuers/trust")
@signed_in
def trust_add():
    kind, value = request.form.get("kind", ""), request.form.get("value", "")
    return _trust(lambda: web().trust.add(session().tenant, kind, value), done="trusted",
                  form={"kind": kind, "value": value})


@bp.post("/issuers/trust/remove")
@signed_in
def trust_remove():
    return _trust(lambda: web().trust.remove(session().tenant, request.form.get("kind", ""),
                                             request.form.get("value", "")), done="removed")


@bp.post("/issuers/policy")
@signed_in
def trust_policy():
    return _trust(lambda: web().trust.set_policy(session().tenant, request.form.get("unregistered", "")),
                  done="policy")


def _trust(change: Callable[[], object], *, done: str, form: dict | None = None):
    """Carries out a change to the trust registry; its store's ValueError is the form's error (422)."""
    try:
        change()
    except ValueError as exc:
        return _render(status=422, trust_form=form, trust_error=str(exc).capitalize() + ".")
    return _back(done)


@bp.post("/issuers/credibility")
@signed_in
def credibility_add():
    tenant = session().tenant
    entry = {k: (request.form.get(k) or "").strip() for k in ("kind", "value", "tier", "accredited_by")}
    entry["accredited_by"] = entry["accredited_by"] or None
    current = issuers.get_list(tenant, repo=matching().repo)["issuers"]
    kept = [e for e in current if (e["kind"], e["value"]) != (entry["kind"], entry["value"])]
    try:
        body = _CREDIBILITY.load({"issuers": [*kept, entry]})
    except ValidationError as exc:
        found = exc.messages.get("issuers", {}) if isinstance(exc.messages, dict) else {}
        mine = found.get(len(kept), found) if isinstance(found, dict) else {"value": found}
        errors = {k: " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in mine.items()}
        return _render(status=422, credibility_form=entry, credibility_errors=errors)
    issuers.put_list(tenant, body=body, repo=matching().repo)
    return _back("listed")


@bp.post("/issuers/credibility/remove")
@signed_in
def credibility_remove():
    tenant = session().tenant
    gone = (request.form.get("kind"), request.form.get("value"))
    current = issuers.get_list(tenant, repo=matching().repo)["issuers"]
    issuers.put_list(tenant, body={"issuers": [e for e in current if (e["kind"], e["value"]) != gone]},
                     repo=matching().repo)
    return _back("unlisted")
