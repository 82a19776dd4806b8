"""The ranked-candidates page logic: cursors, filters as score ranges, and the walk's snapshot time (no servers)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.problems import Problem

from services.matching import recruiter
from services.matching.service import NotFound

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
NO_FILTERS = {"min_score": None, "status": None}


class ListQueries:
    """The ranked query over a list, with the same order and filters as RecruiterQueries.ranked."""

    def __init__(self, rows):
        self.rows, self.calls = rows, []

    def ranked(self, tenant, role_id, *, low, high, as_of, after, limit):
        self.calls.append({"low": low, "high": high, "as_of": as_of})
        rows = sorted((r for r in self.rows if low <= r["rank_score"] <= high and r["ranked_at"] <= as_of),
                      key=lambda r: (-r["rank_score"], r["application_id"]))
        if after is not None:
            rows = [r for r in rows if (-r["rank_score"], r["application_id"]) > (-after[0], after[1])]
        return rows[:limit]

    def moved_since(self, tenant, role_id, *, as_of):
        return sum(1 for r in self.rows if r["ranked_at"] > as_of)


def row(app_id, score, *, ranked_at=NOW - timedelta(minutes=5)):
    return {"application_id": app_id, "rank_score": score if score is not None else -1, "score": score,
            "status": "scored" if score is not None else "unscored", "ranked_at": ranked_at, "requirements": []}


def page(queries, *, cursor=None, limit=2, now=NOW, **filters):
    query = {"min_score": None, "status": None, "limit": limit, "cursor": cursor, **filters}
    return recruiter.candidates_page("t1", "job-1", query=query, queries=queries, role_exists=True, now=now)


def test_a_cursor_round_trips_its_position_and_snapshot_time():
    cursor = recruiter.encode_cursor(as_of=NOW, score=75, application_id="app-9", filters=NO_FILTERS)
    assert recruiter.decode_cursor(cursor, filters=NO_FILTERS) == {"as_of": NOW, "score": 75, "application_id": "app-9"}


@pytest.mark.parametrize("cursor", ["", "bm9wZQ", "!!!", "eyJ2IjoyfQ"])
def test_a_cursor_the_api_did_not_issue_is_a_400_problem(cursor):
    with pytest.raises(Problem) as caught:
        recruiter.decode_cursor(cursor, filters=NO_FILTERS)
    assert caught.value.status == 400


def test_a_cursor_reused_with_other_filters_is_a_400_problem():
    cursor = recruiter.encode_cursor(as_of=NOW, score=75, application_id="a", filters=NO_FILTERS)
    with pytest.raises(Problem):
        recruiter.decode_cursor(cursor, filters={"min_score": 50, "status": None})


def test_pages_follow_one_another_in_rank_order_with_ties_broken_by_application_id():
    queries = ListQueries([row("b", 50), row("a", 50), row("c", 90), row("d", None), row("e", 0)])
    first = page(queries)
    second = page(queries, cursor=first["next_cursor"])
    third = page(queries, cursor=second["next_cursor"])
    ids = [r["application_id"] for p in (first, second, third) for r in p["candidates"]]
    assert ids == ["c", "a", "b", "e", "d"] and third["next_cursor"] is None


def test_the_walk_is_as_of_settle_seconds_before_page_one_and_later_pages_keep_that_moment():
    queries = ListQueries([row(f"a{i}", 50) for i in range(4)])
    first = page(queries)
    page(queries, cursor=first["next_cursor"], now=NOW + timedelta(hours=1))
    assert [c["as_of"] for c in queries.calls] == [NOW - timedelta(seconds=recruiter.SETTLE_S)] * 2


def test_applications_ranked_after_the_walk_began_are_left_out_and_counted():
    queries = ListQueries([row("old", 50), row("new", 99, ranked_at=NOW)])
    result = page(queries)
    assert [r["application_id"] for r in result["candidates"]] == ["old"] and result["moved_since_start"] == 1


@pytest.mark.parametrize("filters,expected", [
    ({}, (-1, 100)), ({"status": "scored"}, (0, 100)), ({"status": "unscored"}, (-1, -1)),
    ({"min_score": 60}, (60, 100)), ({"min_score": 60, "status": "unscored"}, (1, 0))])
def test_min_score_and_status_become_one_range_of_rank_scores(filters, expected):
    queries = ListQueries([])
    page(queries, **filters)
    assert (queries.calls[0]["low"], queries.calls[0]["high"]) == expected


def test_listing_the_candidates_of_an_unknown_role_is_not_found():
    with pytest.raises(NotFound):
        recruiter.candidates_page("t1", "nope", query={"limit": 1}, queries=ListQueries([]), role_exists=False)
