"""OAuth 2.0 client credentials (RFC 6749 §4.4) for ATS APIs: the token request, its answer, and a token cache.

Used by ingest (Greenhouse job posts) and write-back (Greenhouse Harvest v3 writes); each sends the request with its
own HTTP (both through shared/fetch.py) and hands the parsed answer back here.

Greenhouse's form, https://harvestdocs.greenhouse.io/docs/authentication: POST https://auth.greenhouse.io/token with
HTTP Basic `client_id:client_secret` and the urlencoded body `grant_type=client_credentials&sub=<user id>`; the
answer's `access_token` goes in `Authorization: Bearer`; access tokens live one hour
(https://harvestdocs.greenhouse.io/docs/harvest-partner-oauth, "Key Token Lifetimes").
"""
from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

GREENHOUSE_AUTH_URL = "https://auth.greenhouse.io/token"
DEFAULT_TTL_S = 3600.0   # when the answer has no expires_in (Greenhouse's tokens live an hour)
MARGIN_S = 60.0          # a token this close to expiry is replaced, so a request never carries one that lapses mid-way
MAX_TOKENS = 1024        # cached tokens per process (one per connection)


class TokenError(Exception):
    """The token endpoint's answer carried no usable access token."""


@dataclass(frozen=True)
class ClientCredentials:
    auth_url: str
    client_id: str
    client_secret: str = field(repr=False)
    sub: str | None = None   # Greenhouse: the user the token acts as

    @property
    def key(self) -> tuple[str, str, str, str]:
        # The secret's digest is part of the key: another tenant naming the same client id with a wrong secret must
        # not be handed the token issued for the right one.
        digest = hashlib.sha256(self.client_secret.encode()).hexdigest()
        return self.auth_url, self.client_id, self.sub or "", digest


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_at: float


def token_request(creds: ClientCredentials) -> tuple[dict[str, str], bytes]:
    """(headers, body) of the POST to `creds.auth_url`."""
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    form = {"grant_type": "client_credentials", **({"sub": creds.sub} if creds.sub else {})}
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
               "Accept": "application/json"}
    return headers, urlencode(form).encode()


def read_token(doc: object, *, now: float) -> Token:
    """The token in a token endpoint's JSON answer (RFC 6749 §5.1: `access_token`, `expires_in` seconds)."""
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise TokenError("the token endpoint answered without an access_token")
    ttl = doc.get("expires_in") if isinstance(doc, dict) else None
    seconds = float(ttl) if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0 else DEFAULT_TTL_S
    return Token(access_token=token, expires_at=now + seconds)


Fetch = Callable[[ClientCredentials], Token]


class TokenCache:
    """Access tokens per (token endpoint, client id, sub, secret), reused until MARGIN_S before they expire."""

    def __init__(self, *, margin_s: float = MARGIN_S, clock: Callable[[], float] = time.time,
                 max_tokens: int = MAX_TOKENS):
        self.margin_s, self.clock, self.max_tokens = margin_s, clock, max_tokens
        self._tokens: dict[tuple[str, str, str, str], Token] = {}
        self._lock = threading.Lock()

    def bearer(self, creds: ClientCredentials, *, fetch: Fetch, fresh: bool = False) -> str:
        """A live access token for `creds`: the cached one, or (none, near expiry, or `fresh`) one `fetch` gets."""
        key = creds.key
        with self._lock:
            cached = self._tokens.get(key)
        if cached is not None and not fresh and cached.expires_at > self.clock() + self.margin_s:
            return cached.access_token
        token = fetch(creds)   # outside the lock: one connection's slow token endpoint must not hold up the others
        with self._lock:
            if len(self._tokens) >= self.max_tokens:
                self._tokens.clear()   # bounded; forgetting costs one token request per connection
            self._tokens[key] = token
        return token.access_token


# The process's tokens, shared by every client built in it (a token is good for an hour, whoever asked for it).
TOKENS = TokenCache()
