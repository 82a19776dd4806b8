"""Competency autocomplete for the role editor: the skills taxonomy's preferred labels that a typed prefix names."""
from __future__ import annotations

import bisect
import json
from functools import lru_cache

from services.matching.skills.taxonomy import GROUP_PREFIX, Taxonomy
from services.matching.terms import VOCABULARY_FILE

MAX_OPTIONS = 12


@lru_cache(maxsize=2)
def _labels(taxonomy: Taxonomy) -> tuple[tuple[str, str, str], ...]:
    # (lower-cased label, label, concept id), skills only (hierarchy groups are not competencies one holds).
    found = {(label.casefold(), label, cid) for cid, label in taxonomy.preferred.items()
             if not cid.startswith(GROUP_PREFIX)}
    found |= {(c.label.casefold(), c.label, c.id) for c in taxonomy.vocabulary.concepts.values()
              if not c.id.startswith(GROUP_PREFIX) and c.id not in taxonomy.preferred}
    return tuple(sorted(found))


def options(taxonomy: Taxonomy, typed: str, *, limit: int = MAX_OPTIONS) -> list[dict]:
    """Labels starting with what was typed first, then labels with a word starting with it; each with its concept."""
    query = " ".join(typed.casefold().split())[:100]
    if len(query) < 2:
        return []
    labels = _labels(taxonomy)
    # Sorted by the lower-cased label: the prefix matches are one contiguous run, found by bisection.
    first = bisect.bisect_left(labels, (query,))
    starts = [(label, cid) for lower, label, cid in labels[first:first + limit] if lower.startswith(query)]
    inner = [] if len(starts) >= limit else [
        (label, cid) for lower, label, cid in labels if not lower.startswith(query)
        and (f" {query}" in f" {lower}" or f"({query}" in lower)][:limit - len(starts)]
    return [{"label": label, "concept": taxonomy.concept_ref(cid)} for label, cid in starts + inner]


@lru_cache(maxsize=1)
def starter_labels() -> tuple[str, ...]:
    """The hand-written starter vocabulary's labels: the editor's datalist before any script runs."""
    concepts = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8")).get("concepts", [])
    return tuple(sorted({c["label"] for c in concepts if isinstance(c, dict) and c.get("label")}))
