"""Helpers the provider adapters share: pull ids, emails and places that may hold credentials out of ATS JSON."""
from __future__ import annotations

from typing import Iterable

from marshmallow import ValidationError

from services.ingest.model import Link

MAX_LINKS = 100
MAX_TEXT = 20_000


def ident(value: object, field: str) -> str:
    """ATS ids arrive as numbers or strings; credbridge keeps them as non-empty strings."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "" or len(str(value)) > 200:
        raise ValidationError({field: ["Missing or not an id."]})
    return str(value)


def optional_ident(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) else None


def emails(values: Iterable) -> tuple[str, ...]:
    """Lower-cased, de-duplicated, only strings that look like addresses (the verifier matches on them)."""
    out = []
    for v in values:
        if isinstance(v, dict):
            v = v.get("value") or v.get("email")
        if isinstance(v, str) and "@" in v and len(v) <= 320:
            out.append(v.strip().lower())
    return tuple(dict.fromkeys(out))


def link(provenance: str, value: object) -> Link | None:
    """A URL becomes a url link; any other non-empty string is free text for the worker to scan."""
    if isinstance(value, dict):
        value = value.get("url") or value.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.lower().startswith(("https://", "http://")) and len(value) <= 2048:
        return Link(provenance=provenance, url=value)
    return Link(provenance=provenance, text=value[:MAX_TEXT])


def links(pairs: Iterable[tuple[str, object]]) -> tuple[Link, ...]:
    found = [lk for prov, value in pairs if (lk := link(prov, value)) is not None]
    return tuple(dict.fromkeys(found))[:MAX_LINKS]


def listed(value: object) -> list:
    return value if isinstance(value, list) else []


def mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def full_name(*parts: object) -> str | None:
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return name[:500] or None


def indexed(prefix: str, items: object, key: str | None = None) -> list[tuple[str, object]]:
    """(provenance, value) for each list item: `prefix[i]`, and the item's `key` when given."""
    return [(f"{prefix}[{i}]", mapping(item).get(key) if key else item) for i, item in enumerate(listed(items))]
