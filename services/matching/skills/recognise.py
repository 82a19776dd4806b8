"""Finds ESCO concepts in text, deterministically: a credential's title, or phrases in a job description.

A title is read, in order (the first step that finds something answers, and says how sure it is):
  1. `label`  — the whole title is a concept's label (1.0) or only an alternative label (0.95);
  2. `label`  — the same once credential wording is set aside ("Certified", "Professional", "Associate",
                "Certificate in", the level...): 0.9 / 0.85;
  3. `phrase` — labels found word for word inside the title, longest first, none overlapping: 0.5 to
                0.85 by how much of the title they cover;
  4. `fuzzy`  — the closest label by rapidfuzz's `ratio` on the normalised words, if at least
                FUZZY_THRESHOLD (88 of 100): its similarity × 0.85.
Phrases are compared as terms.normalise compares labels (case, punctuation, plurals); ESCO's hierarchy
groups ("value", "health") are too broad to be recognised inside a sentence and are matched by their
whole label only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from services.matching.skills.taxonomy import GROUP_PREFIX, Taxonomy, esco_taxonomy
from services.matching.terms import _ise, _singular, normalise

LABEL, PHRASE, FUZZY = "label", "phrase", "fuzzy"
FUZZY_THRESHOLD = 88.0
MAX_PHRASE_WORDS = 6
# Real titles are short; an issuer-supplied name of thousands of words is read no further than this.
MAX_TITLE_CHARS = 300

_WORD = re.compile(r"(?:[^\W_]|[+#])+")
# Words that say what kind of credential it is, not what it shows (compared normalised).
CREDENTIAL_WORDS = frozenset(normalise(w) for w in """
    certified certification certificate cert professional associate specialist expert practitioner
    fundamentals foundations foundation essentials introduction intro badge course program programme
    level advanced beginner intermediate micro credential microcredential micro-credential diploma nanodegree
    bootcamp training completion award module graduate postgraduate undergraduate specialization
    specialisation track path exam i ii iii iv 1 2 3 4 101 201 301 in of to for the a an with on
""".split())
# Common words that are also some concept's one-word label; inside a sentence they are just words.
COMMON_WORDS = frozenset(normalise(w) for w in """
    service value art law health sport environment education language attitude persist welfare
    patent literature cleaning climbing weighing interviewing constructing communicating economic
    design support management development data work team leadership business research planning
    testing writing reading teaching training learning analysis engineering operations sales marketing
""".split())


@dataclass(frozen=True)
class Found:
    """A concept found in text: how, how sure (0–1), and the words that produced it (with their span)."""
    concept: str
    kind: str
    confidence: float
    phrase: str
    start: int = 0
    end: int = 0


def recognise_title(title: str, taxonomy: Taxonomy | None = None) -> tuple[Found, ...]:
    """The concepts a credential's title names, best first (see the module docstring)."""
    return _recognise(title[:MAX_TITLE_CHARS], taxonomy or esco_taxonomy())


@lru_cache(maxsize=20000)
def _recognise(title: str, taxonomy: Taxonomy) -> tuple[Found, ...]:
    whole = normalise(title)
    found = _exact(whole, title, taxonomy, sure=(1.0, 0.95))
    if found:
        return found
    words = [w for w in whole.split() if w not in CREDENTIAL_WORDS]
    core = " ".join(words)
    found = _exact(core, title, taxonomy, sure=(0.9, 0.85)) if core and core != whole else ()
    if found:
        return found
    phrases = find_phrases(title, taxonomy)
    if phrases:
        covered = sum(len(normalise(p.phrase).split()) for p in _unique_spans(phrases))
        share = min(1.0, covered / max(1, len(words)))
        return tuple(Found(p.concept, PHRASE, round(0.5 + 0.35 * share, 2), p.phrase, p.start, p.end)
                     for p in phrases)
    return _fuzzy(core or whole, title, taxonomy)


def _exact(term: str, text: str, taxonomy: Taxonomy, *, sure: tuple[float, float]) -> tuple[Found, ...]:
    concepts = taxonomy.vocabulary.by_term.get(term)
    if not concepts:
        return ()
    confidence = sure[1] if term in taxonomy.alt_only else sure[0]
    return tuple(Found(c, LABEL, confidence, text, 0, len(text)) for c in sorted(concepts))


def _fuzzy(term: str, text: str, taxonomy: Taxonomy) -> tuple[Found, ...]:
    if len(term) < 4:
        return ()  # two short strings are "similar" by accident
    choices = _fuzzy_choices(taxonomy)
    best = process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
    if best is None:
        return ()
    label, similarity, _ = best
    concepts = taxonomy.vocabulary.by_term[label]
    return tuple(Found(c, FUZZY, round(similarity / 100 * 0.85, 2), text, 0, len(text)) for c in sorted(concepts))


def find_phrases(text: str, taxonomy: Taxonomy | None = None) -> tuple[Found, ...]:
    """Every concept label that occurs word for word in the text, longest first and never overlapping."""
    taxonomy = taxonomy or esco_taxonomy()
    tokens = [(m.start(), m.end(), _singular(_ise(m.group().casefold()))) for m in _WORD.finditer(text)]
    terms = _phrase_terms(taxonomy)
    found: list[Found] = []
    i = 0
    while i < len(tokens):
        for n in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            term = " ".join(t[2] for t in tokens[i:i + n])
            concepts = terms.get(term) or (_one_letter(term, taxonomy) if n == 1 and _capital(tokens[i], text) else None)
            if concepts:
                start, end = tokens[i][0], tokens[i + n - 1][1]
                sure = 0.7 if term in taxonomy.alt_only else 0.8
                # One word is a weak sign; each further word of a matched label adds some.
                confidence = round(min(0.95, sure + 0.05 * (n - 1)) - (0.1 if n == 1 else 0), 2)
                found.extend(Found(c, PHRASE, confidence, text[start:end], start, end) for c in sorted(concepts))
                i += n
                break
        else:
            i += 1
    return tuple(found)


def _capital(token: tuple[int, int, str], text: str) -> bool:
    # A one-letter label ("R", the language) counts only as a capital standing alone.
    start, end, _ = token
    return end - start == 1 and text[start].isupper() and text[start].isalpha()


def _one_letter(term: str, taxonomy: Taxonomy) -> frozenset[str] | None:
    concepts = taxonomy.vocabulary.by_term.get(term, frozenset())
    skills = frozenset(c for c in concepts if not c.startswith(GROUP_PREFIX) and len(term) == 1)
    return skills or None


def _unique_spans(found: tuple[Found, ...]) -> list[Found]:
    return list({(f.start, f.end): f for f in found}.values())


@lru_cache(maxsize=4)
def _phrase_terms(taxonomy: Taxonomy) -> dict[str, frozenset[str]]:
    terms = {}
    for term, concepts in taxonomy.vocabulary.by_term.items():
        skills = frozenset(c for c in concepts if not c.startswith(GROUP_PREFIX))
        words = term.split()
        if not skills or len(words) > MAX_PHRASE_WORDS:
            continue
        # One word is a label only if it is a preferred one, or an alternative one that is no ordinary
        # word ("PRINCE2", "Python3", "C++").
        if len(words) == 1 and (len(term) < 2 or term in COMMON_WORDS or term in CREDENTIAL_WORDS
                                or (term in taxonomy.alt_only and term.isalpha())):
            continue
        terms[term] = skills
    return terms


@lru_cache(maxsize=4)
def _fuzzy_choices(taxonomy: Taxonomy) -> list[str]:
    return sorted(t for t, cs in taxonomy.vocabulary.by_term.items() if any(not c.startswith(GROUP_PREFIX) for c in cs))
