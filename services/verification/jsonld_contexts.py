"""The offline JSON-LD context bundle: contexts are looked up in `contexts/`, never fetched.

`contexts/index.json` maps each context URL to its file and names where its bytes came from.
A document that needs any other context cannot be processed (VC Data Model 2.0 §4.3: verifiers
should not fetch contexts blindly), and the caller reports it as indeterminate.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import cast

_DIR = Path(__file__).with_name("contexts")
_MAX_URL = 200


class UnknownContext(LookupError):
    """A context outside the offline bundle."""

    def __init__(self, url: str):
        super().__init__(f"the context {url[:_MAX_URL]} is not in the offline bundle")
        self.url = url


@lru_cache(maxsize=1)
def _index() -> dict[str, dict]:
    return json.loads((_DIR / "index.json").read_text())


def known(url: str) -> bool:
    return url in _index()


def sources() -> dict[str, str]:
    """URL -> where the bundled bytes came from."""
    return {url: entry["source"] for url, entry in _index().items()}


@lru_cache(maxsize=64)
def _document(url: str) -> dict:
    entry = _index().get(url)
    if entry is None:
        raise UnknownContext(url)
    return json.loads((_DIR / entry["file"]).read_text())


def load(url: str) -> dict:
    """The context document for url (a fresh copy: JSON-LD processors may mutate it)."""
    if not isinstance(url, str):
        raise UnknownContext(repr(url))
    return copy.deepcopy(_document(url))


def pyld_loader(url: str, options: dict | None = None) -> dict:
    """pyld's documentLoader interface, answering only from the bundle."""
    return {"contextUrl": None, "documentUrl": url, "document": load(url)}


def inline(document: dict) -> dict:
    """The document with every context URL replaced by that context's content (for pyoxigraph).

    Remote contexts are equivalent to their inlined `@context` value (JSON-LD 1.1 API §4.1.2
    step 5.2.5); term-scoped and type-scoped contexts are inlined too.
    """
    return cast(dict, _inline_node(document))  # a dict's inlined form is a dict


def _inline_node(node: object) -> object:
    if isinstance(node, list):
        return [_inline_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        out[key] = _inlined_context(value) if key == "@context" else _inline_node(value)
    return out


def _inlined_context(value: object) -> object:
    if isinstance(value, str):
        return _inlined_remote(value)
    if isinstance(value, list):
        flat: list = []
        for item in value:
            inlined = _inlined_context(item)
            flat.extend(inlined if isinstance(inlined, list) else [inlined])
        return flat
    if isinstance(value, dict):
        if "@import" in value:
            raise UnknownContext("@import of " + str(value["@import"]))  # not in any bundled context
        return {term: _inlined_term(definition) for term, definition in value.items()}
    return value


def _inlined_term(definition: object) -> object:
    if isinstance(definition, dict) and "@context" in definition:
        return {**definition, "@context": _inlined_context(definition["@context"])}
    return definition


@lru_cache(maxsize=64)
def _inlined_remote(url: str) -> object:
    # Shared between calls: the inlined document is only serialised, never mutated.
    return _inlined_context(_document(url).get("@context", {}))
