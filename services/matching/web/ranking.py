"""The ranked candidates page: the read side's ranked query (queries.RecruiterQueries, unchanged) walked with the
API's cursor rules (recruiter.py), plus what only the page shows: the "essential requirements met" filter,
each row's band and the tiers of the issuers behind its verified credentials.

The essential filter keeps the cursor guarantee: rows are read in rank order as of the walk's `as_of` and
kept or dropped by what they say, so a kept row is still listed once and in order. To bound one page's cost
it reads at most SCAN_BATCHES batches; a page that ran out of them says so and its cursor resumes after the
last row read.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.collection import Collection

from services.matching import recruiter
from services.matching.queries import RecruiterQueries
from services.matching.service import utcnow
from services.matching.web import words

SCAN_BATCHES = 8


def ranked_page(tenant: str, role: dict, *, query: dict, queries: RecruiterQueries, scores: Collection,
                now: datetime | None = None) -> dict:
    """`query`: min_score, status, limit, cursor (as CandidatesQuerySchema loads them) and essential (bool)."""
    role_id, limit = role["role_id"], query["limit"]
    filters = {"min_score": query.get("min_score"), "status": query.get("status"), "essential": query["essential"]}
    low, high = recruiter._score_range(query.get("min_score"), query.get("status"))
    if query.get("cursor"):
        position = recruiter.decode_cursor(query["cursor"], filters=filters)
        as_of, after = position["as_of"], (position["score"], position["application_id"])
    else:
        as_of, after = (now or utcnow()) - timedelta(seconds=recruiter.SETTLE_S), None
    essential = {r["id"] for r in role.get("requirements") or [] if r.get("importance") == "essential"}
    kept: list[dict] = []
    last_read, exhausted = None, False
    for _ in range(SCAN_BATCHES):
        batch = queries.ranked(tenant, role_id, low=low, high=high, as_of=as_of, after=after, limit=limit + 1)
        for doc in batch:
            if len(kept) == limit:
                break  # the page is full and another row follows it
            last_read = doc
            if not query["essential"] or _essential_met(doc, essential):
                kept.append(doc)
        else:  # the whole batch was read without filling the page
            if len(batch) <= limit:
                exhausted = True  # the walk's end
                break
            after = (batch[-1]["rank_score"], batch[-1]["application_id"])
            continue
        break
    cursor = None
    if not exhausted and last_read is not None:
        cursor = recruiter.encode_cursor(as_of=as_of, score=last_read["rank_score"],
                                         application_id=last_read["application_id"], filters=filters)
    tiers = _tiers(scores, tenant, role_id, [d["application_id"] for d in kept])
    return {"role_id": role_id, "as_of": as_of, "next_cursor": cursor,
            "scan_cut_short": cursor is not None and len(kept) < limit,
            "moved_since_start": queries.moved_since(tenant, role_id, as_of=as_of),
            "rows": [_row(d, essential=essential, tiers=tiers.get(d["application_id"], [])) for d in kept]}


def _essential_met(doc: dict, essential: set[str]) -> bool:
    marks = {r.get("id"): r.get("status") for r in doc.get("requirements") or []}
    return all(marks.get(i) == "met" for i in essential)


def _row(doc: dict, *, essential: set[str], tiers: list[str | None]) -> dict:
    row = recruiter._row(doc)
    unmet = any(row["requirements"].get(i) != "met" for i in essential)
    return {**row, "band": words.band(status=row["status"], score=row["score"], essential_unmet=unmet),
            "tiers": words.tier_summary(tiers)}


def _tiers(scores: Collection, tenant: str, role_id: str, application_ids: list[str]) -> dict[str, list[str | None]]:
    """For each application, the tiers of the issuers of its verified credentials: one query for the page."""
    if not application_ids:
        return {}
    found = scores.find({"tenant": tenant, "application_id": {"$in": application_ids}, "role_id": role_id},
                        {"_id": False, "application_id": True, "credentials.status": True,
                         "credentials.issuer.tier": True})
    return {d["application_id"]: [(c.get("issuer") or {}).get("tier") for c in d.get("credentials") or []
                                  if c.get("status") == "verified"] for d in found}

