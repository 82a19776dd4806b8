"""Requirements suggested from a job description: the ESCO concepts its phrases name, how important its wording
makes each, and how sure the suggestion is. Deterministic (phrase matching over the taxonomy's labels, no model).

A suggestion is only that: nothing is scored on it until the recruiter puts it in the role's requirements.

Importance comes from the wording around the phrase, nearest first:
  * words before it in its sentence (the nearest): "nice to have", "desirable", "preferred", "bonus", "a
    plus", "ideally", "an advantage"... make it `preferred`; "must", "required", "essential", "mandatory",
    "you will need"... `essential`;
  * else the line's lead-in ("Must have: JavaScript, CSS");
  * else words after it in its sentence ("SQL would be nice to have": the preferred words are looked for
    first, as "nice to have" contains "have");
  * else the heading the line's list sits under ("Requirements:", "Nice to have:");
  * else `preferred`, with `importance_cue` None: the advert did not say.
Confidence is the phrase match's (skills/recognise.py: longer labels surer, an alternative label less sure),
a little higher when the advert names the concept more than once, and lower when the phrase is a label of
several concepts (each is suggested).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from services.matching.skills.recognise import Found, find_phrases
from services.matching.skills.taxonomy import Taxonomy, esco_taxonomy
from services.matching.terms import normalise

ESSENTIAL, PREFERRED = "essential", "preferred"
WEIGHTS = {ESSENTIAL: 2.0, PREFERRED: 1.0}
MAX_SUGGESTIONS = 100
# How far around a phrase its sentence is read: real sentences are shorter, and a 50,000-character line
# without a full stop must not be read once per mention.
SENTENCE_REACH = 300

_PREFERRED_CUES = re.compile(
    r"\b(nice[- ]to[- ]have|good[- ]to[- ]have|desirable|desired|preferred|preferably|bonus|a plus|"
    r"ideally|advantage|advantageous|beneficial|optional)\b", re.IGNORECASE)
_ESSENTIAL_CUES = re.compile(
    r"\b(must|required|requirements?|essential|mandatory|you will need|you'll need|you need|what you need|"
    r"minimum|necessary|need to have)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)")
_LEAD_IN = re.compile(r"^\s*[-*•·]?\s*([^:\n]{1,40}):")
_BULLET = re.compile(r"^\s*[-*•·]\s*")


@dataclass(frozen=True)
class Suggestion:
    concept: str
    label: str
    phrase: str
    importance: str
    importance_cue: str | None
    confidence: float
    start: int
    mentions: int = 1


def suggest(description: str, taxonomy: Taxonomy | None = None) -> list[Suggestion]:
    """The concepts the description names, in the order it first names them (see the module docstring)."""
    taxonomy = taxonomy or esco_taxonomy()
    found = find_phrases(description, taxonomy)
    outline = Outline(description)
    per_span: dict[tuple[int, int], int] = {}
    for f in found:
        per_span[(f.start, f.end)] = per_span.get((f.start, f.end), 0) + 1
    best: dict[str, Suggestion] = {}
    for f in found:
        importance, cue = importance_at(description, f.start, outline=outline)
        confidence = f.confidence * (0.8 if per_span[(f.start, f.end)] > 1 else 1.0)
        current = best.get(f.concept)
        if current is None:
            best[f.concept] = Suggestion(f.concept, taxonomy.preferred.get(f.concept, f.concept), f.phrase,
                                         importance, cue, round(confidence, 2), f.start)
            continue
        best[f.concept] = _merge(current, f, importance=importance, cue=cue, confidence=confidence)
    ranked = sorted(best.values(), key=lambda s: (s.start, s.concept))
    return ranked[:MAX_SUGGESTIONS]


def _merge(current: Suggestion, found: Found, *, importance: str, cue: str | None, confidence: float) -> Suggestion:
    # Essential anywhere makes it essential; a mention whose wording said something beats one that did not;
    # each further mention adds a little confidence.
    if current.importance == ESSENTIAL or (current.importance_cue and importance != ESSENTIAL):
        importance, cue = current.importance, current.importance_cue
    elif importance != ESSENTIAL and cue is None:
        importance, cue = current.importance, current.importance_cue
    surest = round(min(0.95, max(current.confidence, confidence) + 0.05), 2)
    return replace(current, importance=importance, importance_cue=cue, confidence=surest, mentions=current.mentions + 1)


class Outline:
    """Each line of a text and the heading its list sits under, worked out in one pass (not per mention)."""

    def __init__(self, text: str):
        self.starts: list[int] = []
        self.headings: list[str | None] = []
        above: str | None = None  # the last line above that is neither blank nor a bullet
        position = 0
        for line in text.split("\n"):
            self.starts.append(position)
            self.headings.append(above if above is not None and _is_heading(above) else None)
            if line.strip() and not _BULLET.match(line):
                above = line.strip()
            position += len(line) + 1

    def line_at(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1


def importance_at(text: str, position: int, *, outline: Outline | None = None) -> tuple[str, str | None]:
    """The importance the wording around `position` gives, and the words that said so (None: nothing did)."""
    outline = outline or Outline(text)
    index = outline.line_at(position)
    line_start = outline.starts[index]
    line_end = outline.starts[index + 1] - 1 if index + 1 < len(outline.starts) else len(text)
    lead_in = _LEAD_IN.match(text[line_start:min(line_end, line_start + 64)])
    # Only the reach around the phrase is read, whatever the length of its line.
    low, high = max(line_start, position - SENTENCE_REACH), min(line_end, position + SENTENCE_REACH)
    window, offset = text[low:high], position - low
    start, end = _sentence(window, offset)
    if lead_in and start < line_start + lead_in.end() - low <= offset:
        start = line_start + lead_in.end() - low
    said = (_nearest_cue(window[start:offset]) or (_cue(lead_in.group(1)) if lead_in else None)
            or _cue(window[offset:end]) or _cue(outline.headings[index] or ""))
    return said or (PREFERRED, None)


def _cue(words: str) -> tuple[str, str] | None:
    preferred = _PREFERRED_CUES.search(words)
    if preferred:
        return PREFERRED, preferred.group(0)
    essential = _ESSENTIAL_CUES.search(words)
    return (ESSENTIAL, essential.group(0)) if essential else None


def _nearest_cue(words: str) -> tuple[str, str] | None:
    found = [(m.end(), kind, m.group(0)) for kind, cues in ((PREFERRED, _PREFERRED_CUES), (ESSENTIAL, _ESSENTIAL_CUES))
             for m in cues.finditer(words)]
    if not found:
        return None
    _, kind, cue = max(found)
    return kind, cue


def _sentence(window: str, offset: int) -> tuple[int, int]:
    """The sentence around `offset` in the window: from the last sentence end before it to the next after it."""
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(window, 0, offset)]
    end = _SENTENCE_END.search(window, offset)
    return starts[-1], end.start() if end else len(window)


def _is_heading(line: str) -> bool:
    words = normalise(line).split()
    return (line.endswith(":") and len(words) <= 6) or (len(words) <= 3 and not _SENTENCE_END.search(line + " "))


def as_requirement(suggestion: Suggestion, taxonomy: Taxonomy) -> dict:
    """The suggestion as a requirement the recruiter can PUT (after reading it)."""
    slug = re.sub(r"[^a-z0-9]+", "-", suggestion.label.casefold()).strip("-")[:60] or "skill"
    return {"id": slug, "competency": suggestion.label, "concept": taxonomy.concept_ref(suggestion.concept),
            "importance": suggestion.importance, "weight": WEIGHTS[suggestion.importance]}
