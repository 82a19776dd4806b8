"""The ESCO skills taxonomy as matching uses it: the committed compact index merged with the starter vocabulary.

Concepts are ESCO skills (id: their URI) and ESCO's hierarchy groups (id: "esco-group:" + the group's
code, e.g. "esco-group:S5.6.1" or "esco-group:K0613"; a requirement names one as {"framework": "ESCO", "code": "S5.6.1"}).
Two relations are kept apart on purpose:
  * `broader`    — skill to skill (the starter vocabulary's: Python is narrower than computer programming)
                   and group to group; one credential of a narrower concept shows the broader one;
  * `groups`     — a skill's place in ESCO's hierarchy (Python sits in "programming computer systems");
                   membership alone never makes one credential meet a whole group: several credentials
                   stack up to it (skills/stacking.py).
A term (a normalised label) names the concepts whose preferred label it is, or that the starter vocabulary
gives it to; only when there are none, the concepts it is an alternative label of (`alt_only`).
"""
from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from services.matching.terms import VOCABULARY_FILE, Concept, Vocabulary, _code_keys, normalise

INDEX_FILE = Path(__file__).with_name("data") / "esco-1.1.1.json.gz"
GROUP_PREFIX = "esco-group:"
# ESCO disambiguates with a parenthesis ("Python (computer programming)"); people write just "Python".
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")


@dataclass(frozen=True, eq=False)  # compared (and hashed, for caches) by identity
class Taxonomy:
    vocabulary: Vocabulary
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)      # skill -> its hierarchy groups
    preferred: dict[str, str] = field(default_factory=dict)                # concept -> its preferred label
    alt_only: frozenset[str] = frozenset()                                 # terms that are only alternative labels
    refs: dict[str, dict] = field(default_factory=dict)                   # concept -> how a requirement names it
    source: dict = field(default_factory=dict)
    _below: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def concept_ref(self, concept_id: str) -> dict:
        """How a requirement names the concept: {"framework": "ESCO", "uri": ...} or {"framework", "code"}."""
        return dict(self.refs.get(concept_id) or {"framework": "credbridge", "code": concept_id})

    def narrower_closure(self, concept_id: str) -> frozenset[str]:
        """Everything narrower than the concept, transitively, through broader links and group membership."""
        below = self._narrower_map()
        seen, todo = set(), [concept_id]
        while todo:
            current = todo.pop()
            for child in below.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        seen.discard(concept_id)
        return frozenset(seen)

    def _narrower_map(self) -> dict[str, tuple[str, ...]]:
        # Built on first use: most processes never walk down the hierarchy.
        if not self._below:
            below: dict[str, list[str]] = {}
            for concept in self.vocabulary.concepts.values():
                for parent in (*concept.broader, *self.groups.get(concept.id, ())):
                    below.setdefault(parent, []).append(concept.id)
            self._below.update({k: tuple(sorted(v)) for k, v in below.items()})
        return self._below


def build_taxonomy(index: dict, starter: dict) -> Taxonomy:
    """The index's concepts and groups, with the starter vocabulary's labels, codes and links folded in."""
    base = index["skill_uri"]
    concepts: dict[str, Concept] = {}
    preferred: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    strong: dict[str, set[str]] = {}
    weak: dict[str, set[str]] = {}
    by_code: dict[tuple[str, str], str] = {}
    refs: dict[str, dict] = {}
    for code, (label, broader) in index["groups"].items():
        cid = GROUP_PREFIX + code
        concepts[cid] = Concept(cid, label, tuple(GROUP_PREFIX + b for b in broader))
        preferred[cid] = label
        by_code[("esco", code.casefold())] = cid
        refs[cid] = {"framework": "ESCO", "code": code}
        if label != code:
            strong.setdefault(normalise(label), set()).add(cid)
    for uuid, label, alt_labels, member_of in index["concepts"]:
        cid = base + uuid
        concepts[cid] = Concept(cid, label, ())
        preferred[cid] = label
        groups[cid] = tuple(GROUP_PREFIX + g for g in member_of)
        by_code[("uri", cid)] = cid
        refs[cid] = {"framework": "ESCO", "uri": cid}
        strong.setdefault(normalise(label), set()).add(cid)
        bare = _QUALIFIER.sub("", label)
        for alt in ([bare] if bare != label else []) + alt_labels:
            weak.setdefault(normalise(alt), set()).add(cid)
    _fold_in_starter(starter, concepts=concepts, preferred=preferred, strong=strong, by_code=by_code, refs=refs)
    alt_only = frozenset(weak) - frozenset(strong)
    by_term = {**{t: frozenset(weak[t]) for t in alt_only}, **{k: frozenset(v) for k, v in strong.items()}}
    return Taxonomy(Vocabulary(concepts, by_term, by_code), groups, preferred, alt_only, refs, index.get("source", {}))


def _fold_in_starter(starter: dict, *, concepts: dict[str, Concept], preferred: dict[str, str],
                     strong: dict[str, set[str]], by_code: dict[tuple[str, str], str], refs: dict[str, dict]) -> None:
    # A starter concept that names an ESCO URI in the index becomes that concept; the others (O*NET
    # elements, ESCO concepts newer than the index) stay concepts of their own.
    ids: dict[str, str] = {}
    for node in starter.get("concepts", []):
        uris = [c["uri"] for c in node.get("codes", []) if c.get("uri") in concepts]
        ids[node["id"]] = uris[0] if uris else node["id"]
    for node in starter.get("concepts", []):
        cid = ids[node["id"]]
        broader = tuple(ids.get(b, b) for b in node.get("broader", []))
        old = concepts.get(cid)
        concepts[cid] = Concept(cid, old.label if old else node["label"], tuple(dict.fromkeys((*(old.broader if old else ()), *broader))))
        preferred.setdefault(cid, node["label"])
        for term in [node["label"], *node.get("alt_labels", [])]:
            strong.setdefault(normalise(term), set()).add(cid)
        codes = [{k: v for k, v in c.items() if k in ("framework", "code", "uri") and v} for c in node.get("codes", [])]
        if codes and cid not in refs:
            refs[cid] = codes[0]
        for code in node.get("codes", []):
            for key in _code_keys(code.get("framework"), code=code.get("code"), uri=code.get("uri")):
                by_code[key] = cid


@lru_cache(maxsize=1)
def esco_taxonomy() -> Taxonomy:
    """The bundled taxonomy, read once per process on first use (not at import): ~1 s, ~100 MB."""
    with gzip.open(INDEX_FILE, "rt", encoding="utf-8") as f:
        index = json.load(f)
    return build_taxonomy(index, json.loads(VOCABULARY_FILE.read_text(encoding="utf-8")))
