"""Read-side queries behind the recruiters' API: the ranked candidates of a role and a candidate's credentials.

The ranking is by (rank_score descending, application_id ascending), where rank_score is the score
or -1 for an unscored application (-2 pending). A page walks the score buckets downwards (ranking.py), each
read an index range bounded by the page: equality on the rank score and a keyset on application_id through
(tenant, role_id, rank_score desc, application_id), fences through (tenant, role_id, rank_score, rank_level,
application_id), and the role's histogram (rank_histogram.py) to skip empty buckets; so a page costs about
its own size whatever the number of scores, on any MongoDB-protocol server.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection

from services.matching import ranking
from services.matching.rank_histogram import RankHistograms
from services.matching.repository import MatchingRepository

_ORDER = [("rank_score", DESCENDING), ("application_id", ASCENDING)]
_SCORE_FIELDS = {"_id": False, "application_id": True, "candidate_id": True, "status": True, "score": True,
                 "rank_score": True, "reason": True, "score_version": True, "computed_at": True, "ranked_at": True,
                 "requirements.id": True, "requirements.status": True}


class RecruiterQueries:
    def __init__(self, repo: MatchingRepository, *, plan: ranking.Plan = ranking.PLAN):
        self.scores, self.evidence, self.applications = repo.scores, repo.evidence, repo.applications
        self.histograms, self.plan = RankHistograms(repo.rank_histograms, repo.scores), plan

    def ranked(self, tenant: str, role_id: str, *, low: int, high: int, as_of: datetime,
               after: tuple[int, str] | None, limit: int) -> list[dict]:
        """Up to `limit` scores in rank order with low <= rank_score <= high, ranked by `as_of`, after the cursor."""
        if low > high or (after is not None and after[0] < low):
            return []
        counts = self.histograms.counts(tenant, role_id, as_of=as_of)
        return ranking.walk(_Bucketed(self.scores, tenant, role_id), counts, low=low, high=high, as_of=as_of,
                            after=after, limit=limit, plan=self.plan)

    def moved_since(self, tenant: str, role_id: str, *, as_of: datetime) -> int:
        """How many of the role's applications were scored, or changed score, after `as_of`."""
        return self.scores.count_documents({"tenant": tenant, "role_id": role_id, "ranked_at": {"$gt": as_of}})

    def candidate_evidence(self, tenant: str, candidate_id: str) -> list[dict]:
        found = self.evidence.find({"tenant": tenant, "candidate_id": candidate_id}, {"_id": False})
        return list(found.sort("credential_id", ASCENDING))

    def candidate_applications(self, tenant: str, candidate_id: str) -> list[dict]:
        found = self.applications.find({"tenant": tenant, "candidate_id": candidate_id},
                                       {"_id": False, "application_id": True, "credential_ids": True, "job_id": True})
        return list(found.sort("application_id", ASCENDING))


class _Bucketed:
    """ranking.Source over the scores collection: every read an index range its bounds keep small."""

    def __init__(self, scores: Collection, tenant: str, role_id: str):
        self.scores, self.key = scores, {"tenant": tenant, "role_id": role_id}

    def rows(self, *, high: int, low: int, after: str | None, upto: str | None, limit: int) -> list[dict]:
        # $gt low - 1, not $gte low: secantusdb drops the last rank score of an inclusive range on a compound
        # index's inner field (bench/repro/secantusdb_compound_range_bound.py); the scores are integers.
        query: dict[str, object] = {**self.key, "rank_score": high if high == low else {"$gt": low - 1, "$lte": high}}
        ids = {**({"$gt": after} if after is not None else {}), **({"$lte": upto} if upto is not None else {})}
        if ids:
            query["application_id"] = ids
        found = list(self.scores.find(query, _SCORE_FIELDS).sort(_ORDER).limit(limit))
        for doc in found:  # compared with the walk's as_of: UTC, whether or not the client is tz_aware
            if doc["ranked_at"].tzinfo is None:
                doc["ranked_at"] = doc["ranked_at"].replace(tzinfo=timezone.utc)
        return found

    def fences(self, *, score: int, level: int, after: str | None, before: str | None) -> list[str]:
        # Always a bound on application_id: without one, secantusdb would pick the ranking index (its prefix
        # fits too) and read the whole bucket; with it, only the fences' index fits.
        ids = {"$gt": after} if after is not None else {"$gte": ""}
        if before is not None:
            ids["$lt"] = before
        found = self.scores.find({**self.key, "rank_score": score, "rank_level": level, "application_id": ids},
                                 {"_id": False, "application_id": True})
        return sorted(d["application_id"] for d in found)
