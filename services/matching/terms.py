"""How competency words are compared: normalisation, a tenant's synonyms, and the bundled starter vocabulary."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

VOCABULARY_FILE = Path(__file__).with_name("vocabulary") / "skills.json"

# Everything but letters, digits, '+' and '#' separates words: "C++" and "C#" must stay themselves.
_SEPARATORS = re.compile(r"[^\w+#]+|_")


def normalise(label: str) -> str:
    """The form two labels are compared in: case folded, punctuation to spaces, each word singular and in
    British spelling where only -ize/-ise differs (ESCO writes "optimisation", US issuers "optimization")."""
    words = _SEPARATORS.sub(" ", label.casefold()).split()
    return " ".join(_singular(_ise(w)) for w in words)


_IZE = re.compile(r"(?<=\w\w\w)iz(e|ed|es|ing|ation|ations)$")


def _ise(word: str) -> str:
    return _IZE.sub(r"is\1", word)


def _singular(word: str) -> str:
    # Deliberately naive English plurals: "databases" -> "database", "technologies" -> "technology";
    # short words and "-ss" words ("class", "css", "aws") are left alone.
    if len(word) <= 3 or word.endswith("ss") or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("us"):
        return word[:-1]
    return word


def normalise_framework(framework: str | None) -> str:
    """"O*NET", "onet" and "O-NET" name one framework; compare them letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", (framework or "").casefold())


@dataclass(frozen=True)
class Synonyms:
    """A tenant's groups of interchangeable words ("k8s" = "Kubernetes"), compared normalised."""
    groups: tuple[frozenset[str], ...] = ()

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> "Synonyms":
        return cls(tuple(frozenset(normalise(t) for t in g) for g in groups))

    def expand(self, term: str) -> frozenset[str]:
        """The normalised term and every word the tenant declared equivalent to it."""
        found = {term}
        for group in self.groups:
            if term in group:
                found |= group
        return frozenset(found)


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    broader: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Labels, alternative labels and codes of a few skills, with broader links (narrower is their inverse)."""
    concepts: dict[str, Concept] = field(default_factory=dict)
    by_term: dict[str, frozenset[str]] = field(default_factory=dict)
    by_code: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "Vocabulary":
        concepts: dict[str, Concept] = {}
        by_term: dict[str, set[str]] = {}
        by_code: dict[tuple[str, str], str] = {}
        for node in data.get("concepts", []):
            concepts[node["id"]] = Concept(node["id"], node["label"], tuple(node.get("broader", [])))
            for term in [node["label"], *node.get("alt_labels", [])]:
                by_term.setdefault(normalise(term), set()).add(node["id"])
            for code in node.get("codes", []):
                for key in _code_keys(code.get("framework"), code=code.get("code"), uri=code.get("uri")):
                    by_code[key] = node["id"]
        return cls(concepts, {k: frozenset(v) for k, v in by_term.items()}, by_code)

    def concepts_for_term(self, term: str) -> frozenset[str]:
        return self.by_term.get(term, frozenset())

    def concept_for_code(self, framework: str | None, *, code: str | None = None, uri: str | None = None) -> str | None:
        for key in _code_keys(framework, code=code, uri=uri):
            if key in self.by_code:
                return self.by_code[key]
        return None

    def label(self, concept_id: str) -> str:
        return self.concepts[concept_id].label

    def broader_closure(self, concept_id: str) -> frozenset[str]:
        """The concept and everything broader than it, transitively (cycles in a bad file end the walk)."""
        seen, todo = set(), [concept_id]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.concepts:
                continue
            seen.add(current)
            todo.extend(self.concepts[current].broader)
        return frozenset(seen)


def _code_keys(framework: str | None, *, code: str | None, uri: str | None) -> list[tuple[str, str]]:
    # A URI names a concept on its own; a code only within its framework.
    keys = [("uri", uri.strip())] if uri else []
    if code:
        keys.append((normalise_framework(framework), code.strip().casefold()))
    return keys


@lru_cache(maxsize=1)
def starter_vocabulary() -> Vocabulary:
    """The bundled vocabulary, read once per process on first use (not at import)."""
    return Vocabulary.from_dict(json.loads(VOCABULARY_FILE.read_text(encoding="utf-8")))
