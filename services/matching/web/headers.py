"""The security headers every page of the web UI carries (the JSON API's answers are left as they are)."""
from __future__ import annotations

from flask import Response

# No inline script or style at all: the page's one script and one stylesheet come from /app/static.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def secure(response: Response, *, https: bool) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if https:
        h["Strict-Transport-Security"] = "max-age=31536000"
    if response.mimetype != "text/css" and response.mimetype != "text/javascript":
        # Pages hold candidates' data: never kept by a shared cache or the browser's back-forward cache on disk.
        h["Cache-Control"] = "no-store"
    return response
