"""The plan behind a ranked page: score buckets walked downwards, so a page costs about its own size.

A role's ranking is (rank_score desc, application_id asc), and rank scores are integers (-2..100), so the
ranking is a row of buckets, one per rank score, ids ascending inside each. A page never asks the database to
sort or limit a role's whole range: secantusdb materialises a query's whole index range before either
(bench/repro/secantusdb_sort_limit.py), and no MongoDB-protocol server is trusted to stop early. Instead:
  * small neighbouring buckets are read together, as one range of rank_score whose size the role's histogram
    (rank_histogram.py) bounds by `group_budget` documents;
  * a large bucket is read one stretch at a time: equality on the rank score, application_id after the
    position and up to a *fence*. A fence is a score whose `rank_level`, a hash of its application id, is at
    least 1: one application in `fan` is a level-1 fence, one in fan**2 a level-2 fence, and so on, so a
    stretch between level-1 fences holds ~fan applications whatever the ids look like, and a stretch's
    fences are found from the level above (bounded by its first fence) without reading the bucket.
What a page lists is decided by the keyset queries alone. The histogram and the fences only bound the cost,
except that a bucket the histogram counts as empty is not read: it counts every score ranked at or before the
walk's `as_of` (rank_histogram.py), and a page lists no other.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Plan:
    fan: int = 64             # one fence in `fan` at each level
    levels: int = 3           # fences reach level 3: one in 262,144
    group_budget: int = 200   # documents one read of several buckets may reach
    fence_budget: int = 128   # fences one read of a level may reach (expected)


PLAN = Plan()


def rank_level(application_id: str, *, fan: int = PLAN.fan, levels: int = PLAN.levels) -> int:
    """How many levels of fences this application is (0: none); a pure function of its id, so a re-score keeps it."""
    h = int.from_bytes(hashlib.blake2b(application_id.encode(), digest_size=8).digest(), "big")
    level = 0
    while level < levels and h % fan == 0:
        h //= fan
        level += 1
    return level


class Source(Protocol):
    """The two reads a walk makes, each of an index range its arguments bound."""

    def rows(self, *, high: int, low: int, after: str | None, upto: str | None, limit: int) -> list[dict]:
        """Up to `limit` scores with low <= rank_score <= high in rank order; `after` (exclusive) and `upto`
        (inclusive) bound application_id, and are only given when high == low."""

    def fences(self, *, score: int, level: int, after: str | None, before: str | None) -> list[str]:
        """Application ids of the bucket's level-`level` fences strictly between `after` and `before`, ascending."""


def walk(source: Source, counts: dict[int, int], *, low: int, high: int, as_of: datetime,
         after: tuple[int, str] | None, limit: int, plan: Plan = PLAN) -> list[dict]:
    """Up to `limit` scores ranked at or before `as_of`, low <= rank_score <= high, in rank order after `after`.

    `counts` bounds from above, per rank score, how many scores ranked at or before `as_of` each bucket holds.
    """
    score, position = high, None
    if after is not None and after[0] <= high:
        score, position = after
    found: list[dict] = []
    while len(found) < limit:
        buckets = [s for s in range(score, low - 1, -1) if counts.get(s, 0) > 0]
        if not buckets:
            break
        if buckets[0] != score:
            score, position = buckets[0], None  # the walk moved on to a lower bucket: from its start
        need = limit - len(found)
        if position is None and counts[score] <= plan.group_budget:
            group = _group(buckets, counts, budget=plan.group_budget)
            rows = source.rows(high=score, low=group[-1], after=None, upto=None, limit=need)
            next_position: tuple[int, str | None] = (group[-1] - 1, None)
        else:
            upto = _fence(source, score=score, size=counts[score], after=position, need=need, plan=plan)
            rows = source.rows(high=score, low=score, after=position, upto=upto, limit=need)
            next_position = (score, upto) if upto is not None else (score - 1, None)
        found += [r for r in rows if r["ranked_at"] <= as_of]
        if len(rows) == need:  # the read stopped at its limit: go on right after its last row
            next_position = (rows[-1]["rank_score"], rows[-1]["application_id"])
        score, position = next_position
    return found


def _group(buckets: list[int], counts: dict[int, int], *, budget: int) -> list[int]:
    """The leading non-empty buckets whose counts together stay within the budget (at least the first)."""
    taken: list[int] = []
    total = 0
    for s in buckets:
        if taken and total + counts[s] > budget:
            break
        taken.append(s)
        total += counts[s]
    return taken


def _fence(source: Source, *, score: int, size: int, after: str | None, need: int, plan: Plan) -> str | None:
    """An id bounding the next stretch of the bucket to ~`need` applications or more; None: to its end."""
    top = 0
    while top < plan.levels and size / plan.fan ** top > plan.fence_budget:
        top += 1
    if top == 0:
        return None  # the rest of the bucket is small enough to read whole
    before: str | None = None
    for level in range(top, 1, -1):  # each level's first fence bounds the read of the level below
        above = source.fences(score=score, level=level, after=after, before=before)
        before = above[0] if above else before
    ones = source.fences(score=score, level=1, after=after, before=before)
    candidates = ones + ([before] if before is not None else [])
    # Stretches between fences vary in length (geometrically): take enough that one rarely falls short.
    gaps = -(-need // (plan.fan // 2)) + 1
    return candidates[gaps - 1] if len(candidates) >= gaps else before
