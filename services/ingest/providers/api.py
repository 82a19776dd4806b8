"""Calling a thin ATS's API from an enrichment function: one GET, JSON back, failures sorted into retry or give up."""
from __future__ import annotations

import json
from urllib.parse import quote

from services.ingest.providers import EnrichError, Get
from shared import safejson
from shared.tenants import Connection

MAX_API_BYTES = 5 * 1024 * 1024
# 408 and 429 are the ATS asking us to come back later; other 4xx will not change by retrying.
RETRYABLE_4XX = frozenset({408, 425, 429})


def path_part(value: object) -> str:
    """An id as one URL path segment: ids come from webhooks, so `/`, `..`, `?` and `#` must not steer the request."""
    return quote(str(value), safe="")


def require_connection_api(connection: Connection, *, default_base_url: str | None) -> tuple[str, str]:
    """(base_url, api_key) from the connection, or a permanent error naming what is missing."""
    base = (connection.options.get("base_url") or default_base_url or "").rstrip("/")
    key = getattr(connection, "api_key", None)
    if not base:
        raise EnrichError(f"the {connection.provider} connection has no base_url", retryable=False)
    if not key:
        raise EnrichError(f"the {connection.provider} connection has no api_key", retryable=False)
    return base, key


def fetch_json(get: Get, url: str, *, headers: dict) -> dict:
    """GET url and parse a JSON object; raises EnrichError (retryable on timeouts, 5xx, 408/429)."""
    doc = _fetch(get, url, headers=headers)
    if not isinstance(doc, dict):
        raise EnrichError("the ATS API answered with JSON that is not an object", retryable=False)
    return doc


def fetch_json_array(get: Get, url: str, *, headers: dict) -> list:
    """GET url and parse a JSON array (a list endpoint's page); raises EnrichError as fetch_json does."""
    doc = _fetch(get, url, headers=headers)
    if not isinstance(doc, list):
        raise EnrichError("the ATS API answered with JSON that is not an array", retryable=False)
    return doc


def _fetch(get: Get, url: str, *, headers: dict) -> object:
    try:
        status, _headers, body = get(url, headers=headers)
    except OSError as exc:  # requests' errors and socket timeouts are OSErrors; so must the safe fetcher's be
        raise EnrichError(f"the ATS API could not be reached ({type(exc).__name__})", retryable=True) from None
    if status >= 500 or status in RETRYABLE_4XX:
        raise EnrichError(f"the ATS API answered {status}", retryable=True)
    if status >= 400:
        raise EnrichError(f"the ATS API answered {status}", retryable=False)
    if len(body) > MAX_API_BYTES:
        raise EnrichError("the ATS API answer is too large", retryable=False)
    try:
        doc = safejson.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnrichError("the ATS API answered with something other than JSON", retryable=False) from None
    return doc
