"""The web UI's blueprint and what every page shares: its context, the signed-in check, CSRF, errors, headers."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, NotFound

from shared.problems import Problem

from services.matching import api, service
from services.matching.web import headers
from services.matching.web.auth import Session, SessionStore, cookie_names, same_token
from services.verification.trust import TrustRepository

bp = Blueprint("web", __name__, url_prefix="/app", template_folder="templates", static_folder="static")


@dataclass(frozen=True)
class WebContext:
    sessions: SessionStore
    trust: TrustRepository
    secure: bool  # production: Secure, __Host- cookies and HSTS; a local run over plain http: neither


def register(app: Flask, *, sessions: SessionStore, trust: TrustRepository, secure: bool) -> None:
    """Adds the web UI to the matching app (its API context must be registered already)."""
    from services.matching.web import pages, registry  # noqa: F401 - their routes join `bp`

    app.extensions["matching_web"] = WebContext(sessions=sessions, trust=trust, secure=secure)
    app.register_blueprint(bp)

    @app.get("/")
    @app.get(f"{bp.url_prefix}/")
    def home():
        return redirect(url_for("web.roles"))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        # No route matched, so no blueprint's handler runs: under /app/ the answer is still a page.
        if request.path.startswith(bp.url_prefix or "/app"):
            body, status = page("error.html", status=404, title="Not found", detail="There is no such page.")
            return headers.secure(Response(body, status=status, mimetype="text/html"), https=web().secure)
        return Problem(404, exc.name, exc.description or "").response()


def web() -> WebContext:
    return current_app.extensions["matching_web"]


def matching() -> api.Context:
    return current_app.extensions["matching"]


def session() -> Session:
    return g.web_session


def signed_in(view: Callable) -> Callable:
    """The page needs a live session: without one a GET goes to sign-in (and back), anything else is refused."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("web_session") is None:
            if request.method == "GET" and request.accept_mimetypes.accept_html:
                return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
            return page("error.html", status=401, title="Signed out",
                        detail="Your session has ended; sign in again.")
        limit = matching().limit
        if limit is not None:
            limit.check(g.web_session.tenant)
        return view(*args, **kwargs)
    return wrapped


def page(template: str, *, status: int = 200, **values) -> tuple[str, int]:
    return render_template(f"web/{template}", **values), status


@bp.before_request
def _load_session() -> Response | tuple[str, int] | None:
    session_cookie, signin_cookie = cookie_names(secure=web().secure)
    g.web_session = web().sessions.find(request.cookies.get(session_cookie))
    if request.method != "POST":
        return None
    if not _same_origin():
        return page("error.html", status=403, title="Refused", detail="That form came from another site.")
    given = request.form.get("csrf_token")
    expected = request.cookies.get(signin_cookie) if request.endpoint == "web.sign_in" else (
        g.web_session.csrf if g.web_session is not None else None)
    if not same_token(expected, given):
        return page("error.html", status=403, title="Form expired",
                    detail="This form has expired or did not come from this page. Go back, reload it and try again.")
    return None


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # older browsers send none on same-origin posts; the CSRF token still has to match
    parts = urlsplit(origin)
    # By host alone: behind a proxy that ends TLS this app sees http, while the browser's Origin says https.
    return parts.netloc == request.host and (parts.scheme == "https" or not web().secure)


@bp.after_request
def _headers(response: Response) -> Response:
    return headers.secure(response, https=web().secure)


@bp.app_context_processor
def _values() -> dict:
    current = g.get("web_session")
    return {"signed_in": current, "csrf_token": current.csrf if current is not None else None}


@bp.errorhandler(service.NotFound)
def _not_found(exc: service.NotFound):
    return page("error.html", status=404, title="Not found", detail="There is no such page for your organisation.")


@bp.errorhandler(Problem)
def _problem(exc: Problem):
    body, status = page("error.html", status=exc.status, title=exc.title, detail=exc.detail)
    return Response(body, status=status, headers=exc.headers, mimetype="text/html")


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    detail = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in messages.items())
    return page("error.html", status=400, title="Bad request", detail=detail)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return page("error.html", status=exc.code or 500, title=exc.name, detail=exc.description or "")
