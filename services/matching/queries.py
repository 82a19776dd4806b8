"""Read-side queries behind the recruiters' API: the ranked candidates of a role and a candidate's credentials.

The ranking is by (rank_score descending, application_id ascending), where rank_score is the score
or -1 for an unscored application; the index (tenant, role_id, rank_score desc, application_id)
serves it in order, so a page costs its own size whatever the number of scores.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.matching.repository import MatchingRepository

_SCORE_FIELDS = {"_id": False, "application_id": True, "candidate_id": True, "status": True, "score": True,
                 "rank_score": True, "reason": True, "score_version": True, "computed_at": True, "ranked_at": True,
                 "requirements.id": True, "requirements.status": True}


class RecruiterQueries:
    def __init__(self, repo: MatchingRepository):
        self.scores, self.evidence, self.applications = repo.scores, repo.evidence, repo.applications

    def ranked(self, tenant: str, role_id: str, *, low: int, high: int, as_of: datetime,
               after: tuple[int, str] | None, limit: int) -> list[dict]:
        """Up to `limit` scores in rank order with low <= rank_score <= high, ranked by `as_of`, after the cursor."""
        query: dict[str, object] = {"tenant": tenant, "role_id": role_id, "rank_score": {"$gte": low, "$lte": high},
                 "ranked_at": {"$lte": as_of}}
        if after is not None:
            score, application_id = after
            query["$or"] = [{"rank_score": {"$lt": score}},
                            {"rank_score": score, "application_id": {"$gt": application_id}}]
        found = self.scores.find(query, _SCORE_FIELDS).sort([("rank_score", DESCENDING), ("application_id", ASCENDING)])
        return list(found.limit(limit))

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
