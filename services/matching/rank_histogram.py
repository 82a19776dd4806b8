"""Per role, an upper bound on how many scores each rank score holds, kept up to date by its readers.

A stored histogram says: for every rank score r, `counts[r]` is at least the number of the role's scores in
bucket r that were ranked (`ranked_at`) at or before `watermark`. A walk whose `as_of` is at or before the
watermark may therefore skip a bucket counted 0 (ranking.py), and size its reads by the counts.

Nothing that writes scores maintains it: a score that enters a bucket gets a new `ranked_at` (repository.ranked_at),
so the readers bring it up to date by counting the scores ranked since the watermark, a read bounded by the
changes since the last reader, and move the watermark to SETTLE_S ago (a worker stores a score within SETTLE_S of
stamping it, the same assumption the cursor guarantee makes, recruiter.py). Scores that leave a bucket are not
subtracted: the counts only grow, which costs an extra read now and then but never hides a score. The first read
of a role builds the histogram by counting each bucket once.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from services.matching.service import PENDING_RANK, Clock, utcnow

SETTLE_S = 2.0
RANKS = range(PENDING_RANK, 101)  # pending, unscored, then the scores 0..100


class RankHistograms:
    def __init__(self, histograms: Collection, scores: Collection, *, clock: Clock = utcnow,
                 settle_s: float = SETTLE_S):
        self.histograms, self.scores, self.clock, self.settle_s = histograms, scores, clock, settle_s

    def counts(self, tenant: str, role_id: str, *, as_of: datetime) -> dict[int, int]:
        """Counts valid for a walk at `as_of`: brought up to date first if the stored ones are older."""
        stored = self.histograms.find_one({"tenant": tenant, "role_id": role_id})
        if stored is None:
            return self._build(tenant, role_id)
        counts = {int(k): n for k, n in stored["counts"].items()}
        if _aware(stored["watermark"]) >= as_of:
            return counts
        upto = self.clock() - timedelta(seconds=self.settle_s)
        moved = Counter(d["rank_score"] for d in self.scores.find(
            {"tenant": tenant, "role_id": role_id, "ranked_at": {"$gt": stored["watermark"], "$lte": upto}},
            {"_id": False, "rank_score": True}))
        # Valid up to `upto` whether or not it is stored: a concurrent reader that stored first made the same count.
        self.histograms.update_one(
            {"_id": stored["_id"], "version": stored["version"]},
            # $max: a reader whose clock is behind never moves the watermark back (which would count twice).
            {"$max": {"watermark": upto}, "$inc": {"version": 1, **{f"counts.{r}": n for r, n in moved.items()}}})
        return {r: counts.get(r, 0) + moved.get(r, 0) for r in set(counts) | set(moved)}

    def _build(self, tenant: str, role_id: str) -> dict[int, int]:
        # Every score stored when the counting starts is counted (scores stamped before `watermark` are stored
        # by then); one that moves while the buckets are counted has a later ranked_at, for the next reader.
        watermark = self.clock() - timedelta(seconds=self.settle_s)
        counts = {r: self.scores.count_documents({"tenant": tenant, "role_id": role_id, "rank_score": r})
                  for r in RANKS}
        counts = {r: n for r, n in counts.items() if n}
        try:
            self.histograms.insert_one({"tenant": tenant, "role_id": role_id, "watermark": watermark, "version": 0,
                                        "counts": {str(r): n for r, n in counts.items()}})
        except DuplicateKeyError:
            pass  # a concurrent reader built it first: as valid as this one
        return counts


def _aware(when: datetime) -> datetime:
    # pymongo hands back naive UTC datetimes unless the client is tz_aware.
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
