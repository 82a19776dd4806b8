"""What a recruiter reads: a role's ranked candidates page by page, and a candidate's credentials with verdicts.

The cursor guarantee. A walk over a role's ranking starts at `as_of` (the moment page one was
read) and ranks by (score desc, application id asc). Every later page lists only applications
whose rank was last set at or before `as_of`, strictly after the previous page's last entry. So,
however scores are written meanwhile:
  * no application is ever listed twice in one walk;
  * every application whose score was set before the walk began and has not changed since is
    listed exactly once, in rank order (no gaps);
  * applications scored for the first time, or whose score changed, after the walk began are
    left out of it, and each page counts them in `moved_since_start`: start a new walk to see them.
`as_of` is SETTLE_S before page one is read: a worker stamps a score's time a moment before it
stores it, and a score stamped before `as_of` but stored after page one was read could otherwise
be listed twice. The guarantee therefore holds while workers store a score within SETTLE_S of
stamping it (milliseconds in practice) and hosts' clocks agree to within that.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta, timezone

from shared.problems import Problem

from services.matching import evidence as ev
from services.matching.queries import RecruiterQueries
from services.matching.rank_histogram import SETTLE_S
from services.matching.service import NotFound, PENDING_RANK, UNSCORED_RANK, credentials_of, utcnow

CURSOR_VERSION = 1
SCORED, UNSCORED, PENDING = "scored", "unscored", "pending"


def candidates_page(tenant: str, role_id: str, *, query: dict, queries: RecruiterQueries, role_exists: bool,
                    now: datetime | None = None) -> dict:
    """One page of the ranking; `query` holds min_score, status, limit and cursor as the API parsed them."""
    if not role_exists:
        raise NotFound(f"no role {role_id!r}")
    low, high = _score_range(query.get("min_score"), query.get("status"))
    filters = {"min_score": query.get("min_score"), "status": query.get("status")}
    if query.get("cursor"):
        position = decode_cursor(query["cursor"], filters=filters)
        as_of, after = position["as_of"], (position["score"], position["application_id"])
    else:
        as_of, after = (now or utcnow()) - timedelta(seconds=SETTLE_S), None
    limit = query["limit"]
    rows = queries.ranked(tenant, role_id, low=low, high=high, as_of=as_of, after=after, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None  # more: the page is full, so it has a last row
    return {"role_id": role_id, "as_of": as_of, "candidates": [_row(r) for r in page],
            "moved_since_start": queries.moved_since(tenant, role_id, as_of=as_of),
            "next_cursor": encode_cursor(as_of=as_of, score=last["rank_score"], application_id=last["application_id"],
                                         filters=filters) if last is not None else None}


def _score_range(min_score: int | None, status: str | None) -> tuple[int, int]:
    # Both filters are ranges of rank_score, so the ranked index answers them. Pending applications sit
    # below the unscored ones, outside the default range: they are listed apart, with status=pending.
    if status in (UNSCORED, PENDING):
        rank = UNSCORED_RANK if status == UNSCORED else PENDING_RANK
        return (rank, rank) if min_score is None else (1, 0)  # neither has a score to compare
    low = max(min_score if min_score is not None else UNSCORED_RANK, 0 if status == SCORED else UNSCORED_RANK)
    return low, 100


def _row(doc: dict) -> dict:
    return {"application_id": doc["application_id"], "candidate_id": doc.get("candidate_id"),
            "status": doc["status"], "score": doc.get("score"), "reason": doc.get("reason"),
            "score_version": doc.get("score_version"), "computed_at": doc.get("computed_at"),
            "requirements": {r["id"]: r["status"] for r in doc.get("requirements") or []}}


def encode_cursor(*, as_of: datetime, score: int, application_id: str, filters: dict) -> str:
    body = {"v": CURSOR_VERSION, "t": int(as_of.timestamp() * 1000), "s": score, "a": application_id, "f": filters}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, *, filters: dict) -> dict:
    """The walk's position; a 400 problem for a cursor this API did not issue or issued for other filters."""
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(body, dict) and body.get("v") == CURSOR_VERSION and _issuable(body)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise Problem(400, "Bad Request", "The cursor is not one this API issued; start again without it.")
    if body.get("f") != filters:
        raise Problem(400, "Bad Request", "The cursor belongs to a listing with other filters; keep min_score and "
                                          "status as they were, or start again without a cursor.")
    return {"as_of": datetime.fromtimestamp(body["t"] / 1000, tz=timezone.utc), "score": body["s"],
            "application_id": body["a"]}


def _issuable(body: dict) -> bool:
    """Values encode_cursor could have written: a time a datetime holds, a rank_score, an application id.

    Anything else would reach datetime (OverflowError) or MongoDB (ints past 8 bytes) as a 500.
    """
    t, s, a = body.get("t"), body.get("s"), body.get("a")
    return (type(t) is int and 0 <= t <= _MAX_CURSOR_MS and type(s) is int and UNSCORED_RANK <= s <= 100
            and isinstance(a, str) and 0 < len(a) <= 200)


_MAX_CURSOR_MS = int(datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp() * 1000)


def candidate_credentials(tenant: str, candidate_id: str, *, queries: RecruiterQueries,
                          now: datetime | None = None) -> dict:
    """Every credential seen for the candidate, with its latest verdict (unverified ones still awaiting it)."""
    now = now or utcnow()
    applications = queries.candidate_applications(tenant, candidate_id)
    evidence = queries.candidate_evidence(tenant, candidate_id)
    if not applications and not evidence:
        raise NotFound(f"no candidate {candidate_id!r}")
    by_id = {e["credential_id"]: e for e in evidence}
    listed = {cid: a["application_id"] for a in applications for cid in a.get("credential_ids") or []}
    rows = []
    for c in credentials_of({"credential_ids": list(listed)}, evidence, now=now):
        found = by_id.get(c.credential_id) or {}
        report = found.get("report") or {}
        rows.append({**c.to_dict(), "application_id": found.get("application_id") or listed.get(c.credential_id),
                     "format": report.get("format"), "checked_at": ev.parse_time(report.get("checked_at")),
                     "checks": report.get("checks") or []})
    return {"candidate_id": candidate_id, "credentials": rows}
