"""structure.schema: the credential validated against the JSON Schemas its `credentialSchema` names, fetched safely.

Sources: VC Data Model 2.0 §5.4 (credentialSchema: id + type); W3C VC JSON Schema §2 (type "JsonSchema");
Open Badges 3.0 §B.1.2 / §8.1 ("1EdTechJsonSchemaValidator2019"). Schemas are JSON Schema
draft 2019-09 or 2020-12 (the `$schema` keyword picks the draft); remote `$ref`s are never followed.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import jsonschema
import referencing
import referencing.exceptions

from services.verification import metrics
from services.verification.fetching import Fetch, Unfetched, fetch_document
from services.verification.report import Check, failed, indeterminate, passed, unsupported

SCHEMA = "structure.schema"
SCHEMA_TYPES = ("1EdTechJsonSchemaValidator2019", "JsonSchemaValidator2018", "JsonSchema")
_ACCEPT = ("application/schema+json", "application/json", "application/ld+json")
_MAX = 2_000_000
_TTL = timedelta(hours=1)  # schemas are versioned documents; an hour bounds a change going unnoticed


class SchemaCache:
    """Parsed schemas by URL for an hour; a failed fetch is not kept."""

    def __init__(self, max_entries: int = 200):
        self._schemas: dict[str, tuple[datetime, dict | bool]] = {}  # true and false are schemas too
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, url: str, now: datetime) -> dict | bool | None:
        with self._lock:
            found = self._schemas.get(url)
        hit = found is not None and found[0] > now
        metrics.cache("json_schema", hit=hit)
        return found[1] if found is not None and hit else None

    def put(self, url: str, schema: dict | bool, now: datetime) -> None:
        with self._lock:
            if len(self._schemas) >= self._max:
                self._schemas.pop(next(iter(self._schemas)))
            self._schemas[url] = (now + _TTL, schema)


class _Unusable(Exception):
    def __init__(self, check: Check):
        super().__init__(check.message)
        self.check = check


def check(vc: dict, *, fetch: Fetch | None, cache: SchemaCache, now: datetime) -> Check | None:
    """structure.schema for every credentialSchema entry (one check), or None when it names none."""
    entries = vc.get("credentialSchema")
    if entries is None:
        return None
    entries = entries if isinstance(entries, list) else [entries]
    try:
        for entry in entries:
            _validate(vc, entry, fetch=fetch, cache=cache, now=now)
    except _Unusable as exc:
        return exc.check
    return passed(SCHEMA, f"the credential matches the {len(entries)} JSON Schema(s) it names")


def _validate(vc: dict, entry: object, *, fetch: Fetch | None, cache: SchemaCache, now: datetime) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise _Unusable(failed(SCHEMA, "a credentialSchema entry has no id"))
    if entry.get("type") not in SCHEMA_TYPES:
        kind = str(entry.get("type"))[:40]
        raise _Unusable(unsupported(SCHEMA, f"credentialSchema type {kind!r} is not supported yet"))
    schema = _schema(entry["id"], fetch=fetch, cache=cache, now=now)
    try:
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator_class.check_schema(schema)  # type: ignore[arg-type]  # true/false are schemas (2020-12 §4.3.2)
        # An explicit empty registry: jsonschema's default would fetch a remote $ref with urllib, past shared/fetch.
        validator = validator_class(schema, registry=referencing.Registry())
        error = jsonschema.exceptions.best_match(validator.iter_errors(vc))
    except jsonschema.exceptions.SchemaError:
        raise _Unusable(indeterminate(SCHEMA, "a schema the credential names is not a valid JSON Schema")) from None
    except referencing.exceptions.Unresolvable:
        raise _Unusable(indeterminate(SCHEMA, "a schema the credential names refers to another schema, "
                                              "which is not fetched")) from None
    if error is not None:
        # The path and the rule, not the message: messages quote the credential's values.
        where = "/".join(str(p) for p in error.absolute_path) or "(the credential)"
        raise _Unusable(failed(SCHEMA, f"the credential does not match its JSON Schema at {where[:200]} "
                                       f"({error.validator or 'false schema'} rule)"))


def _schema(url: str, *, fetch: Fetch | None, cache: SchemaCache, now: datetime) -> dict | bool:
    cached = cache.get(url, now)
    if cached is not None:
        return cached
    if fetch is None:
        raise _Unusable(unsupported(SCHEMA, "the credential's JSON Schema was not fetched: no network access"))
    if not url.startswith(("https://", "http://")):
        raise _Unusable(failed(SCHEMA, "a credentialSchema id is not an http(s) URL"))
    try:
        # shared/fetch has no "json_schema" purpose yet; a schema is part of the credential's own material.
        body = fetch_document(fetch, url, kind="json_schema", purpose="credential", accept=_ACCEPT, max_bytes=_MAX)
    except Unfetched as exc:
        raise _Unusable(indeterminate(SCHEMA, f"the credential's JSON Schema could not be fetched{exc.answer}")) from None
    try:
        schema = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Unusable(indeterminate(SCHEMA, "the credential's JSON Schema is not JSON")) from None
    if not isinstance(schema, (dict, bool)):
        raise _Unusable(indeterminate(SCHEMA, "the credential's JSON Schema is not a JSON Schema"))
    cache.put(url, schema, now)
    return schema
