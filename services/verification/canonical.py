"""Canonical forms a proof is computed over: RDFC-1.0 N-Quads from JSON-LD (offline contexts only) and JCS.

Sources: RDF Dataset Canonicalization (RDFC-1.0, W3C Rec 2024) §4 and its N-Quads canonical form
(RDF 1.1 N-Triples §7 / RDF 1.2 canonical escaping); JSON-LD 1.1 Processing Algorithms §4.1
(context processing), §5.1 (expansion; "safe mode" as in VC Data Integrity 1.0 §4.6: a term the
contexts do not define must make processing fail); RFC 8785 (JSON Canonicalization Scheme).
Two RDFC-1.0 engines: pyoxigraph (Rust; it has no document loader, so it is given either the
expansion from templates.py or the document with its contexts inlined) and pyld (pure Python,
loads contexts through `jsonld_contexts.load`). `bench/verify.py` compares them. Either engine
canonicalises a dataset only within rdfc_budget's work budget (RDFC-1.0 §4.4.3, §7.1): beyond it,
TooComplex.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Iterator

import pyoxigraph as ox
import rfc8785
from pyld import canon as pyld_canon
from pyld import jsonld

from services.verification import jsonld_contexts, rdfc_budget, templates
from services.verification.jsonld_contexts import UnknownContext
from services.verification.rdfc_budget import TooComplex

OXIGRAPH, PYLD = "oxigraph", "pyld"
# pyld reports most malformed input as JsonLdError, but some (a bad @import IRI, a wrong value type)
# surface as the built-in errors of its own code; all of them mean "not valid JSON-LD".
_PYLD_ERRORS = (jsonld.JsonLdError, ValueError, TypeError, KeyError, AttributeError, IndexError)
ENGINES = (OXIGRAPH, PYLD)
_SAFE_CACHE_SIZE = 2048
_KEPT = ("@context", "@type", "type")  # values that select or are checked as terms
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# In canonical N-Quads a literal escapes \b \t \n \f \r " \ and other C0 controls as \uXXXX; the
# URDNA2015 implementations that signed older Ed25519Signature2020 proofs escaped only " \ \n \r.
_RDFC_ESCAPE = re.compile(r'\\(\\|t|b|f|u00[01][0-9A-F]|u007F)')

__all__ = ["UnknownContext", "InvalidJsonLd", "UndefinedTerm", "TooComplex", "rdfc", "urdna2015", "legacy_escaping",
           "jcs", "check_terms"]


class InvalidJsonLd(ValueError):
    """The document is not valid JSON-LD under its contexts, so it has no canonical form."""


class UndefinedTerm(ValueError):
    """A property or type the contexts do not define: a signature over it would not pin its meaning."""


def jcs(value: object) -> bytes:
    """RFC 8785 canonical JSON bytes."""
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]  # any JSON value: a bad one raises, caught below
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidJsonLd(f"the document has no JCS form: {exc}") from None


def rdfc(document: dict, *, engine: str = OXIGRAPH) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (UnknownContext / InvalidJsonLd / TooComplex on failure)."""
    if engine == PYLD:
        return _rdfc_pyld(document)
    expanded = templates.expanded(document)  # the fast path; None sends the document the full way
    if expanded is not None:
        try:
            return _canonical_nquads(json.dumps(expanded).encode())
        except SyntaxError:
            pass  # the full path below reports it
    try:
        inlined = json.dumps(jsonld_contexts.inline(document)).encode()
    except RecursionError:
        raise InvalidJsonLd("the contexts nest too deeply") from None
    try:
        return _canonical_nquads(inlined)
    except SyntaxError as exc:
        raise InvalidJsonLd(f"the document is not valid JSON-LD: {str(exc)[:200]}") from None


def _canonical_nquads(json_ld: bytes) -> str:
    dataset = ox.Dataset(ox.parse(json_ld, format=ox.RdfFormat.JSON_LD))
    rdfc_budget.check(_blank_node_quads(dataset))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    # Given no output, serialize returns the bytes (its stub says bytes | None).
    lines = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode().splitlines(keepends=True)  # type: ignore[union-attr]
    return "".join(sorted(lines))  # RDFC-1.0 §4.4.3 step 5: quads in code point order


def _blank_node_quads(dataset: ox.Dataset) -> Iterator[rdfc_budget.Quad]:
    """The quads that mention a blank node, in rdfc_budget's terms (the budget check runs on every credential)."""
    blank = ox.BlankNode
    for quad in dataset:
        subject, obj, graph = quad.subject, quad.object, quad.graph_name
        if type(subject) is blank or type(obj) is blank or type(graph) is blank:
            yield (f"_:{subject.value}" if type(subject) is blank else subject, quad.predicate,
                   f"_:{obj.value}" if type(obj) is blank else obj,
                   f"_:{graph.value}" if type(graph) is blank else graph)


def legacy_escaping(nquads: str) -> str:
    """The same N-Quads with the older URDNA2015 escaping (raw tab and other controls), re-sorted."""
    return "".join(sorted(_RDFC_ESCAPE.sub(_legacy_escape, line) for line in nquads.splitlines(keepends=True)))


def urdna2015(document: dict) -> str:
    """URDNA2015 as the JavaScript libraries ran it before RDFC-1.0: only " \\ \\n \\r escaped.

    The escaping matters twice: in the output, and in the first-degree hashes that order blank
    nodes (URDNA2015 §4.6), so the whole algorithm runs with it (slow; used only when a literal
    holds a control character, where the two forms differ).
    """
    return legacy_escaping(_LegacyUrdna2015().main(_pyld_dataset(document), {"format": "application/n-quads"}))


def _pyld_dataset(document: dict) -> dict:
    """pyld's RDF dataset of the document, once it is known to be within the canonicalisation budget."""
    options = {"documentLoader": jsonld_contexts.pyld_loader, "base": None, "produceGeneralizedRdf": False}
    try:
        dataset = jsonld.JsonLdProcessor().to_rdf(document, options)
    except _PYLD_ERRORS as exc:
        _raise_unknown_context(exc)
        raise InvalidJsonLd(f"the document is not valid JSON-LD: {getattr(exc, 'type', type(exc).__name__)}") from None
    rdfc_budget.check((_pyld_term(quad["subject"]), _pyld_term(quad["predicate"]), _pyld_term(quad["object"]),
                       graph) for graph, quads in dataset.items() for quad in quads)
    return dataset


def _pyld_term(term: dict) -> str:
    if term["type"] == "blank node":
        return term["value"]
    return json.dumps([term["value"], term.get("datatype"), term.get("language")])  # any one-to-one spelling


class _LegacyUrdna2015(pyld_canon.URDNA2015):
    def hash_nquads(self, nquads):
        # pyld serialises with \t escaped; hash what the legacy implementations hashed.
        return super().hash_nquads(sorted(_RDFC_ESCAPE.sub(_legacy_escape, n) for n in nquads))


def _legacy_escape(match: re.Match) -> str:
    code = match.group(1)
    if code == "\\":
        return "\\\\"
    return {"t": "\t", "b": "\b", "f": "\f"}.get(code) or chr(int(code[1:], 16))


def _rdfc_pyld(document: dict) -> str:
    canonical = pyld_canon.URDNA2015().main(_pyld_dataset(document), {"format": "application/n-quads"})
    # pyld escapes only \t \n \r " \ ; RDFC-1.0 also escapes the other C0 controls and DEL.
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04X}", canonical.replace("\b", "\\b").replace("\f", "\\f"))


_CONTROL = re.compile(r"[\x00-\x07\x0b\x0e-\x1f\x7f]")


def check_terms(document: dict) -> None:
    """Safe mode: raise UndefinedTerm if expansion would drop a property or leave a type relative.

    The outcome depends only on the contexts, the keys, the type values, and whether each other
    string is an absolute IRI; so it is computed once per such skeleton and remembered.
    """
    key = json.dumps(_skeleton(document), sort_keys=True, separators=(",", ":"))
    problem = _SAFE_RESULTS.get(key)
    if problem is None:
        problem = _expand_problem(document)
        _SAFE_RESULTS.put(key, problem)
    if problem:
        raise UndefinedTerm(problem)


def _expand_problem(document: dict) -> str:
    """'' when every term is defined; else what is wrong (UnknownContext / InvalidJsonLd propagate)."""
    dropped: list[str] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=lambda term: dropped.append(str(term)))
    try:
        # base None: pyld would otherwise resolve relative IRIs against a made-up base and hide them.
        expanded = processor.expand(document, {"documentLoader": jsonld_contexts.pyld_loader, "base": None})
    except _PYLD_ERRORS as exc:
        _raise_unknown_context(exc)
        raise InvalidJsonLd(f"the document is not valid JSON-LD: {getattr(exc, 'type', type(exc).__name__)}") from None
    if dropped:
        return f"the contexts do not define {', '.join(sorted(set(dropped)))[:200]}"
    relative = sorted(set(_relative_types(expanded)))
    if relative:
        return f"the contexts do not define the type {', '.join(relative)[:200]}"
    if any(True for _ in _relative_ids(expanded)):
        return "an identifier is a relative IRI, which has no meaning outside this document"
    return ""


def _relative_ids(node: object):
    if isinstance(node, list):
        for item in node:
            yield from _relative_ids(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@id" and isinstance(value, str):
                if not (_ABSOLUTE_IRI.match(value) or value.startswith("_:")):
                    yield value
            elif key != "@value":
                yield from _relative_ids(value)


def _relative_types(node: object):
    if isinstance(node, list):
        for item in node:
            yield from _relative_types(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type" and "@value" not in node:
                yield from (t for t in (value if isinstance(value, list) else [value])
                            if isinstance(t, str) and not _ABSOLUTE_IRI.match(t))
            elif not key.startswith("@") or key in ("@graph", "@list", "@set", "@included", "@reverse"):
                yield from _relative_types(value)


def _skeleton(node: object, *, keep: bool = False) -> object:
    """The document with every value that cannot change term definitions replaced by a stand-in."""
    if isinstance(node, dict):
        return {k: _skeleton(v, keep=keep or k in _KEPT) for k, v in node.items()}
    if isinstance(node, list):
        return [_skeleton(v, keep=keep) for v in node]
    if isinstance(node, str) and not keep:
        return "_:x" if node.startswith("_:") else "urn:x" if _ABSOLUTE_IRI.match(node) else "x"
    return node if keep or node is None else 0


def _raise_unknown_context(exc: BaseException) -> None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, UnknownContext):
            raise cause
        cause = cause.__cause__ or cause.__context__


class _Lru:
    def __init__(self, size: int):
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def get(self, key: str) -> str | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


_SAFE_RESULTS = _Lru(_SAFE_CACHE_SIZE)
