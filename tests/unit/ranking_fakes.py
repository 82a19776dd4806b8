"""A ranking.Source over lists, that counts the documents each read's index range holds, as secantusdb reads them."""
from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime

from services.matching import ranking


class ListSource:
    def __init__(self, rows: list[dict], *, plan: ranking.Plan = ranking.PLAN):
        self.plan, self.examined, self.reads = plan, 0, 0
        self.by_score: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        self.by_level: dict[tuple[int, int], list[str]] = defaultdict(list)
        for r in rows:
            self.by_score[r["rank_score"]].append((r["application_id"], r))
            level = ranking.rank_level(r["application_id"], fan=plan.fan, levels=plan.levels)
            if level:
                self.by_level[(r["rank_score"], level)].append(r["application_id"])
        for bucket in self.by_score.values():
            bucket.sort(key=lambda pair: pair[0])
        for ids in self.by_level.values():
            ids.sort()

    def rows(self, *, high: int, low: int, after: str | None, upto: str | None, limit: int) -> list[dict]:
        assert (after is None and upto is None) or high == low
        self.reads += 1
        found = []
        for score in range(high, low - 1, -1):
            bucket = self.by_score.get(score, [])
            ids = [pair[0] for pair in bucket]
            start = bisect.bisect_right(ids, after) if after is not None else 0
            stop = bisect.bisect_right(ids, upto) if upto is not None else len(ids)
            found += [pair[1] for pair in bucket[start:stop]]
        self.examined += len(found)  # the whole range, as secantusdb materialises it before the limit
        return found[:limit]

    def fences(self, *, score: int, level: int, after: str | None, before: str | None) -> list[str]:
        self.reads += 1
        ids = self.by_level.get((score, level), [])
        start = bisect.bisect_right(ids, after) if after is not None else 0
        stop = bisect.bisect_left(ids, before) if before is not None else len(ids)
        self.examined += stop - start
        return ids[start:stop]


def counts_of(rows: list[dict], *, as_of: datetime) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for r in rows:
        if r["ranked_at"] <= as_of:
            counts[r["rank_score"]] += 1
    return dict(counts)


def reference(rows: list[dict], *, low: int, high: int, as_of: datetime, after: tuple[int, str] | None,
              limit: int) -> list[dict]:
    """The ranked query's meaning, as one sort of everything (the plan it replaces)."""
    ranked = sorted((r for r in rows if low <= r["rank_score"] <= high and r["ranked_at"] <= as_of),
                    key=lambda r: (-r["rank_score"], r["application_id"]))
    if after is not None:
        ranked = [r for r in ranked if (-r["rank_score"], r["application_id"]) > (-after[0], after[1])]
    return ranked[:limit]
