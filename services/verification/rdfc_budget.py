"""A work budget for RDFC-1.0, checked before a dataset is canonicalised, so that a poison dataset costs milliseconds.

RDF Dataset Canonicalization (RDFC-1.0, W3C Rec 2024) §4.4.3: "Implementations MUST defend against
potential denial-of-service attacks by raising suitable exceptions and terminating early"; its note
suggests limiting the calls to Hash N-Degree Quads (§4.8) by the number of blank nodes, and §7.1
(Dataset Poisoning) a limit on the iterations of the recursive steps and the permutations of long
lists. pyoxigraph's canonicaliser has no such limit and cannot be interrupted, so before it runs this
module walks the part of the algorithm that can explode: §4.4.3 step 5 and §4.8's recursion over the
permutations of each group of related blank nodes, counting each call and each permutation without
computing a hash. The hashes only ever prune that walk (§4.8 step 5.4.4.2.2 and 5.4.5.4), so the
count is an upper bound on the real work; for typical credentials it is a few steps per blank node.
Only blank nodes that share a first-degree hash (§4.6) reach step 5, so most credentials stop after
one pass over their quads.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from typing import Hashable, Iterable, TypeGuard

# (subject, predicate, object, graph name): a blank node is a str starting "_:", any other term is any
# hashable value that is not such a string (pyoxigraph's terms, or a spelling of pyld's). Quads without
# a blank node may be left out: they cost nothing.
Quad = tuple[Hashable, Hashable, Hashable, Hashable]

MAX_BLANK_NODES = 1000  # a real credential has a few dozen
# JSON objects a document may have before any JSON-LD processing. A document of a shape not seen before is
# expanded by pyld three times (templates.py's shape and template, safe mode), at about 0.3 ms of CPU per
# object each (OB 3.0's property- and type-scoped contexts are processed per node), so 500 objects cost
# about 0.4 s; an OB 3.0 credential has a few dozen, a CLR with a hundred achievements a few hundred.
MAX_OBJECTS = 500
# Steps (Hash N-Degree Quads calls and permutations) for one dataset. pyoxigraph takes about a microsecond a
# step and this walk a few, so the budget costs tens of milliseconds at worst; real credentials take a few
# steps per look-alike blank node (§4.4.3's note: "more than a couple of iterations ... would be unusual"),
# a clique of five look-alike nodes 4,565 steps, of six 41,046, of nine about 400 million.
MAX_STEPS = 10_000
MAX_DEPTH = 200  # §4.8 recurses once per node along a chain of look-alike nodes

_Shape = frozenset[tuple[tuple[Hashable, ...], int]]


class TooComplex(ValueError):
    """Canonicalising the dataset could take more work than the budget allows: a poison dataset, or close to one."""


def check(quads: Iterable[Quad], *, max_blank_nodes: int = MAX_BLANK_NODES, max_steps: int = MAX_STEPS) -> None:
    """Raise TooComplex if the dataset has too many blank nodes or RDFC-1.0 step 5 could exceed its budget."""
    mentions: dict[str, list[Quad]] = defaultdict(list)
    for quad in quads:
        for node in {quad[0], quad[2], quad[3]}:
            if _blank(node):
                mentions[node].append(quad)
    if len(mentions) > max_blank_nodes:
        raise TooComplex(f"it has {len(mentions)} blank nodes, more than the {max_blank_nodes} "
                         "this verifier canonicalises")
    # Look-alike nodes are mentioned equally often: most credentials end here, before any shape is built.
    by_count: dict[int, list[str]] = defaultdict(list)
    for node, quads_of in mentions.items():
        by_count[len(quads_of)].append(node)
    shapes = {node: _first_degree(node, mentions[node]) for nodes in by_count.values() if len(nodes) > 1
              for node in nodes}
    by_shape: dict[_Shape, list[str]] = defaultdict(list)
    for node, shape in shapes.items():
        by_shape[shape].append(node)
    shared = [nodes for nodes in by_shape.values() if len(nodes) > 1]
    if shared:
        unique = set(mentions) - {node for nodes in shared for node in nodes}
        _Walk(mentions, shapes, unique, max_steps).run(shared)


def objects(document: object, *, limit: int = MAX_OBJECTS) -> int:
    """How many JSON objects the document holds, counted without recursion and only up to limit + 1."""
    count, stack = 0, [document]
    while stack and count <= limit:
        node = stack.pop()
        if isinstance(node, dict):
            count += 1
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _blank(term: Hashable) -> TypeGuard[str]:
    return isinstance(term, str) and term.startswith("_:")


def _first_degree(node: str, quads: list[Quad]) -> _Shape:
    # §4.6: the multiset of the node's quads with itself written _:a and every other blank node _:z; equal
    # shapes are exactly the nodes whose first-degree hashes are equal, so the shape stands in for the hash.
    return frozenset(Counter(tuple("_:a" if term == node else "_:z" if _blank(term) else term for term in quad)
                             for quad in quads).items())


class _Walk:
    """§4.4.3 step 5 and §4.8 without the hashing: which nodes each call reaches, and how many steps it takes."""

    def __init__(self, mentions: dict[str, list[Quad]], shapes: dict[str, _Shape], unique: set[str], budget: int):
        self._mentions, self._shapes, self._budget, self._left = mentions, shapes, budget, budget
        self._canonical = set(unique)  # §4.4.3 step 4: nodes of a unique first-degree hash are issued first

    def run(self, groups: list[list[str]]) -> None:
        for group in groups:  # §4.4.3 step 5 (in hash order there; the count does not depend on the order)
            reached: set[str] = set()
            for node in group:
                if node not in self._canonical:
                    reached |= self._hash_n_degree(node, frozenset((node,)), depth=1)
            self._canonical |= reached  # step 5.3: every node a result's issuer named is issued canonically

    def _spend(self, steps: int = 1) -> None:
        self._left -= steps
        if self._left < 0:
            raise TooComplex(f"canonicalising its blank nodes would take more than {self._budget} steps of "
                             "RDFC-1.0's Hash N-Degree Quads (a poison dataset, RDFC-1.0 §7.1)")

    def _hash_n_degree(self, node: str, issued: frozenset[str], *, depth: int) -> frozenset[str]:
        """§4.8 for `node` with the temporary issuer's `issued` nodes: the nodes issued when it returns."""
        self._spend()
        if depth > MAX_DEPTH:
            raise TooComplex(f"its look-alike blank nodes chain more than {MAX_DEPTH} deep (RDFC-1.0 §7.1)")
        for members in self._related(node, issued).values():  # step 5, one related hash at a time
            if math.factorial(min(len(members), 20)) > self._left:
                self._spend(self._left + 1)  # more permutations than the budget has left: refuse at once
            chosen = issued
            for permutation in itertools.permutations(members):  # step 5.4
                self._spend()
                copy = issued | {r for r in permutation if r not in self._canonical}
                for related in permutation:  # step 5.4.5: recurse into the nodes this permutation issued first
                    if related not in self._canonical and related not in issued:
                        copy = self._hash_n_degree(related, copy, depth=depth + 1)
                chosen = copy  # every permutation issues the same nodes; only the paths (hashes) differ
            issued = chosen  # step 5.6
        return issued

    def _related(self, node: str, issued: frozenset[str]) -> dict[tuple, list[str]]:
        # §4.7: a related node is told apart by its position, the predicate and its identifier, which is its
        # own once issued (canonically or by this issuer) and its first-degree hash before.
        related: dict[tuple, list[str]] = defaultdict(list)
        for subject, predicate, obj, graph in self._mentions[node]:
            for position, other in (("s", subject), ("o", obj), ("g", graph)):
                if _blank(other) and other != node:
                    members = related[(position, predicate if position != "g" else "", self._label(other, issued))]
                    if other not in members:
                        members.append(other)
        return related

    def _label(self, node: str, issued: frozenset[str]) -> object:
        return node if node in self._canonical or node in issued else self._shapes[node]

