"""Precision and recall of concept recognition against a labelled set (tests/fixtures/skills/, bench/skills.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from services.matching.skills.taxonomy import Taxonomy


@dataclass(frozen=True)
class Case:
    """A text and what it should show: each want lists the preferred labels any one of which satisfies it."""
    text: str
    wants: tuple[tuple[str, ...], ...]
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or self.text


@dataclass
class Tally:
    true_positives: int = 0
    false_positives: int = 0
    wants_met: int = 0
    wants: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.wants_met / self.wants if self.wants else 1.0


def cases_from(data: dict, *, text_key: str) -> list[Case]:
    return [Case(c[text_key], tuple(tuple(w) for w in c["expected"]), c.get("id", "")) for c in data["cases"]]


def concepts_labelled(taxonomy: Taxonomy, label: str) -> frozenset[str]:
    """The concepts whose preferred label this is; a fixture naming none is wrong, not a miss."""
    found = frozenset(c for c, pref in taxonomy.preferred.items() if pref == label)
    if not found:
        raise ValueError(f"no concept has the preferred label {label!r}")
    return found


def evaluate(cases: Iterable[Case], *, find: Callable[[str], Iterable[str]], taxonomy: Taxonomy) -> Tally:
    """Counts, over the cases, the concepts `find` returns that some want accepts, and the wants it meets."""
    tally = Tally()
    for case in cases:
        wants = [frozenset().union(*(concepts_labelled(taxonomy, label) for label in want)) for want in case.wants]
        found = set(find(case.text))
        accepted = frozenset().union(*wants)
        tally.true_positives += len(found & accepted)
        tally.false_positives += len(found - accepted)
        tally.wants += len(wants)
        tally.wants_met += sum(1 for want in wants if found & want)
        tally.misses += [f"{case.title}: {' | '.join(labels)}" for labels, want in zip(case.wants, wants, strict=True)
                         if not found & want]
        tally.extras += [f"{case.title}: {taxonomy.preferred.get(c, c)}" for c in sorted(found - accepted)]
    return tally
