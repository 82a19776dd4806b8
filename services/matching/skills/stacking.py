"""Credentials stack: several narrower concepts, each shown by its own credential, together meet a broader one.

A requirement with `narrower: {"count": N}` asks for N distinct concepts below its own — below it in
ESCO's hierarchy (the skills of a group such as K0613 "software and applications development and
analysis") or by the starter vocabulary's links (Python below computer programming). The items are the
narrower concepts the candidate's credentials show, so the stack (assess.py's any_of) can be assessed
like one the recruiter listed: each item proved by a different credential, k of N earning k/N.
"""
from __future__ import annotations

from typing import Sequence

from services.matching.evidence import ConceptRef, Credential, Lexicon, Target, shown_concepts, target_concepts


def narrower_items(target: Target, credentials: Sequence[Credential], *, lexicon: Lexicon) -> tuple[Target, ...]:
    """The concepts narrower than the target's that some credential shows, as stack items (ordered by id)."""
    taxonomy = lexicon.taxonomy
    if taxonomy is None:
        return ()
    below: set[str] = set()
    for concept in target_concepts(target, lexicon.vocabulary):
        below |= taxonomy.narrower_closure(concept)
    shown = set().union(*(shown_concepts(c, lexicon=lexicon) for c in credentials)) & below
    items = []
    for concept in sorted(shown):
        ref = taxonomy.concept_ref(concept)
        items.append(Target(taxonomy.preferred.get(concept, concept),
                            concept=ConceptRef(ref.get("framework"), ref.get("code"), ref.get("uri"))))
    return tuple(items)
