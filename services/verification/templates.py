"""Expanded-document templates: JSON-LD expansion done once per document shape, then reused.

Parsing the bundled contexts is most of the cost of canonicalising a credential, yet credentials
of one issuer share their shape (keys, types, contexts) and differ only in values. So a document's
string values are swapped for unique tokens, the tokenised document is expanded once (pyld, offline
contexts, JSON-LD 1.1 Processing Algorithms §5.1), and later documents of that shape get their
expanded form by putting their values back where the tokens landed. A value whose meaning depends
on the context (a type, a vocabulary-relative or compact IRI) is never tokenised: it stays part of
the shape. Anything unexpected returns None and the caller falls back to full processing.
"""
from __future__ import annotations

import json
import re
import secrets
from collections import OrderedDict
from typing import cast

from pyld import jsonld

from services.verification import jsonld_contexts

_NONCE = secrets.token_hex(6)
_TOKEN = re.compile(rf"(?:urn:cb{_NONCE}:|cb{_NONCE}x)(\d+)")
_KEPT_KEYS = ("@context", "@type", "type")  # values that select contexts or are types: part of the shape
_IRI_SCHEMES = ("http:", "https:", "urn:", "did:", "data:", "mailto:", "tag:")
_CACHE_SIZE = 512  # shapes seen recently; one worker meets few issuers' templates at a time


class _Lru(OrderedDict):
    def lookup(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > _CACHE_SIZE:
            self.popitem(last=False)


_VERBATIM = _Lru()   # shape key -> frozenset of leaf positions that must stay verbatim
_EXPANDED = _Lru()   # (shape key, verbatim values) -> expanded template (never mutated)


def expanded(document: dict) -> list | None:
    """The JSON-LD expansion of document (pyld's), from the template cache; None when not templatable."""
    leaves: list = []
    shape = _tokenise(document, leaves, verbatim=None)
    key = json.dumps(shape, separators=(",", ":"))
    kept = _VERBATIM.lookup(key)
    if kept is None:
        kept = _verbatim_positions(_expand(shape), leaves)
        if kept is None:
            return None
        _VERBATIM.store(key, kept)
    values_key = (key, json.dumps([leaves[i] for i in sorted(kept)]))
    template = _EXPANDED.lookup(values_key)
    if template is None:
        template = _expand(_tokenise(document, [], verbatim=kept))
        if template is None or _verbatim_positions(template, leaves, allowed_kept=kept) != kept:
            return None
        _EXPANDED.store(values_key, template)
    return cast(list, _substitute(template, leaves))  # a list's substituted form is a list


def _token(index: int, value: str) -> str:
    # An absolute IRI stays absolute and a relative string stays relative, so expansion treats both alike.
    return f"urn:cb{_NONCE}:{index}" if value.startswith(_IRI_SCHEMES) else f"cb{_NONCE}x{index}"


def _tokenise(node: object, leaves: list, *, verbatim: frozenset | None, keep: bool = False) -> object:
    if isinstance(node, dict):
        return {k: _tokenise(v, leaves, verbatim=verbatim, keep=keep or k in _KEPT_KEYS) for k, v in node.items()}
    if isinstance(node, list):
        return [_tokenise(v, leaves, verbatim=verbatim, keep=keep) for v in node]
    if not isinstance(node, str) or keep:
        return node
    index = len(leaves)
    leaves.append(node)
    if verbatim is not None and index in verbatim:
        return node
    return _token(index, node)


def _expand(document: object) -> list | None:
    try:
        return jsonld.JsonLdProcessor().expand(document, {"documentLoader": jsonld_contexts.pyld_loader,
                                                          "base": None})
    except (jsonld.JsonLdError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None  # the full path reports why


def _verbatim_positions(expanded_doc: object, leaves: list, *, allowed_kept: frozenset = frozenset()
                        ) -> frozenset | None:
    """Leaf positions whose token landed anywhere but exactly as a literal @value or an absolute @id."""
    kept = set(allowed_kept)
    for slot, text in _strings(expanded_doc, slot=None):
        for match in _TOKEN.finditer(text):
            index = int(match.group(1))
            if index >= len(leaves):
                return None
            exact = match.group(0) == text
            if not (exact and (slot == "@value" or (slot == "@id" and leaves[index].startswith(_IRI_SCHEMES)))):
                kept.add(index)
    return frozenset(kept)


def _strings(node: object, *, slot: str | None):
    if isinstance(node, str):
        yield slot, node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, slot=slot)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield "@key", key
            yield from _strings(value, slot=key if key in ("@value", "@id") else "@other")


def _substitute(node: object, leaves: list) -> object:
    if isinstance(node, str):
        match = _TOKEN.fullmatch(node)
        return leaves[int(match.group(1))] if match else node
    if isinstance(node, list):
        return [_substitute(item, leaves) for item in node]
    if isinstance(node, dict):
        return {key: _substitute(value, leaves) for key, value in node.items()}
    return node
