"""structure.schema: the credential validated against the JSON Schemas its `credentialSchema` names, fetched safely.

Sources: VC Data Model 2.0 §5.4 (credentialSchema: id + type); W3C VC JSON Schema §2 (type "JsonSchema");
Open Badges 3.0 §B.1.2 / §8.1 ("1EdTechJsonSchemaValidator2019"). Schemas are JSON Schema
draft 2019-09 or 2020-12 (the `$schema` keyword picks the draft); remote `$ref`s are never followed.
A schema is the credential author's text, so it is evaluated (schema_eval.py) with its regular expressions
in RE2 (schema_regex.py) and within a work budget (schema_budget.py); a pattern RE2 cannot run or a
schema past the budget makes the check indeterminate, never failed and never a hang.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import jsonschema
import referencing
import referencing.exceptions

from services.verification import metrics, schema_budget, schema_eval, schema_regex
from services.verification.fetching import Fetch, Unfetched, fetch_document
from services.verification.report import Check, failed, indeterminate, passed, unsupported
from shared import safejson
from shared.lru import SizedLru

SCHEMA = "structure.schema"
SCHEMA_TYPES = ("1EdTechJsonSchemaValidator2019", "JsonSchemaValidator2018", "JsonSchema")
_ACCEPT = ("application/schema+json", "application/json", "application/ld+json")
_MAX = 2_000_000
_TTL = timedelta(hours=1)  # schemas are versioned documents; an hour bounds a change going unnoticed


# A parsed JSON document holds about 4.4 times its text in memory (measured with tracemalloc on an 80 KB schema).
_PARSED_PER_BYTE = 5
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024  # a few hundred real schemas; one hostile 2 MB schema is 10 MB of it


class SchemaCache:
    """Schemas by URL for an hour, at most `max_bytes` of them (estimated), the least recently used evicted first.

    Only schemas that passed their own check against the meta-schema are kept, so that check, the costly part
    for a large schema, runs once per schema; a failed fetch is not kept, nor a schema larger than the cache.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self._schemas: SizedLru[dict | bool] = SizedLru(max_bytes)

    @property
    def bytes(self) -> int:
        return self._schemas.bytes

    def get(self, url: str, now: datetime) -> dict | bool | None:
        found = self._schemas.get(url, now)
        metrics.cache("json_schema", hit=found is not None)
        return found

    def put(self, url: str, schema: dict | bool, *, text_bytes: int, now: datetime) -> None:
        self._schemas.put(url, schema, size=text_bytes * _PARSED_PER_BYTE, expires=now + _TTL)


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
        with schema_budget.spending(schema_budget.Budget()):  # one budget for all the credential's schemas
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
    url = entry["id"]
    cached = cache.get(url, now)
    schema, text_bytes = _fetch_schema(url, fetch=fetch) if cached is None else (cached, None)
    try:
        error = schema_eval.first_error(vc, schema, check_schema=text_bytes is not None)  # a cached one was checked
    except schema_eval.NotEvaluated as exc:
        raise _Unusable(unsupported(SCHEMA, f"a schema the credential names {exc}, which is not evaluated yet")) from None
    except schema_regex.Unsupported as exc:
        raise _Unusable(indeterminate(SCHEMA, "the schema uses a regular expression feature that cannot be "
                                              f"evaluated in linear time: {exc}")) from None
    except schema_budget.OverBudget as exc:
        raise _Unusable(indeterminate(SCHEMA, f"the credential was not checked against its JSON Schema: {exc}")) from None
    except RecursionError:
        raise _Unusable(indeterminate(SCHEMA, "a schema the credential names refers to itself without end")) from None
    except jsonschema.exceptions.SchemaError:
        raise _Unusable(indeterminate(SCHEMA, "a schema the credential names is not a valid JSON Schema")) from None
    except referencing.exceptions.Unresolvable:
        raise _Unusable(indeterminate(SCHEMA, "a schema the credential names refers to another schema, "
                                              "which is not fetched")) from None
    if text_bytes is not None:
        cache.put(url, schema, text_bytes=text_bytes, now=now)
    if error is not None:
        # The path and the rule, not the message: messages quote the credential's values.
        where = "/".join(str(p) for p in error.absolute_path) or "(the credential)"
        raise _Unusable(failed(SCHEMA, f"the credential does not match its JSON Schema at {where[:200]} "
                                       f"({error.validator or 'false schema'} rule)"))


def _fetch_schema(url: str, *, fetch: Fetch | None) -> tuple[dict | bool, int]:
    """The schema at `url`, parsed, and the length of its text."""
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
        schema = safejson.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Unusable(indeterminate(SCHEMA, "the credential's JSON Schema is not JSON")) from None
    if not isinstance(schema, (dict, bool)):
        raise _Unusable(indeterminate(SCHEMA, "the credential's JSON Schema is not a JSON Schema"))
    return schema, len(body)
