"""Signing recruiters in to the web page: server-side sessions, the session cookie and CSRF tokens.

A recruiter signs in with one of the tenant's API keys. The browser then holds only an opaque random token
in an HttpOnly, SameSite=Lax cookie (Secure and `__Host-` prefixed outside development); the database holds
its SHA-256, the tenant, the key it was opened with and the session's CSRF token. Every request looks the
session up and checks that its key is still live, so revoking the key (`credbridge key revoke`) ends every
session opened with it at once; signing out deletes the session server-side, not just the cookie.

CSRF: every form carries the session's token, compared in constant time; the sign-in form, before there is
a session, carries a token that must equal a short-lived cookie of its own (double submit). A POST whose
Origin header names another site is refused whatever it carries.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING
from pymongo.database import Database

SESSION_HOURS = 8          # a working day; then the recruiter signs in again
SIGN_IN_COOKIE_MINUTES = 30


@dataclass(frozen=True)
class Session:
    tenant: str
    key_id: str
    csrf: str
    digest: str


class SessionStore:
    """`web_sessions`: one document per signed-in browser, keyed by the SHA-256 of its cookie's token."""

    def __init__(self, db: Database):
        self.sessions = db["web_sessions"]
        self.api_keys = db["api_keys"]

    def ensure_indexes(self) -> None:
        # Expired sessions are refused on read whatever the server does with the TTL index; it only tidies up.
        self.sessions.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    def open(self, *, tenant: str, key_id: str, now: datetime | None = None) -> str:
        """A new session for the tenant; returns the token for the cookie (never stored as such)."""
        now = now or _now()
        token = secrets.token_urlsafe(32)
        self.sessions.insert_one({"_id": digest(token), "tenant": tenant, "key_id": key_id,
                                  "csrf": secrets.token_urlsafe(32), "created_at": now,
                                  "expires_at": now + timedelta(hours=SESSION_HOURS)})
        return token

    def find(self, token: str | None, *, now: datetime | None = None) -> Session | None:
        """The live session the token opens: not expired, its API key not revoked; else None."""
        if not token or len(token) > 200:
            return None
        doc = self.sessions.find_one({"_id": digest(token)})
        if doc is None or _aware(doc["expires_at"]) <= (now or _now()):
            return None
        key = self.api_keys.find_one({"_id": doc["key_id"]})
        if key is None or key.get("revoked") is not False or key.get("tenant") != doc["tenant"]:
            return None
        return Session(tenant=doc["tenant"], key_id=doc["key_id"], csrf=doc["csrf"], digest=doc["_id"])

    def close(self, session: Session) -> None:
        self.sessions.delete_one({"_id": session.digest})


def key_id_of(api_key: str) -> str:
    """The id part of a recruiter key `cbk_<id>.<secret>` (shared/tenants.py)."""
    return api_key[4:].partition(".")[0]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_names(*, secure: bool) -> tuple[str, str]:
    """(session cookie, sign-in cookie). `__Host-` binds a cookie to this host, https and Path=/: production only,
    since a browser refuses Secure cookies from plain http (a local run)."""
    prefix = "__Host-" if secure else ""
    return f"{prefix}cb_session", f"{prefix}cb_signin"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)
