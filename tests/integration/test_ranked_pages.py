"""Ranked pages on a real MongoDB server (secantusdb): the bucket walk lists what one full sort would, and every read
it makes examines an index range bounded by the page, not by the role."""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring

from services.matching import ranking
from services.matching.queries import RecruiterQueries
from services.matching.repository import MatchingRepository

from tests.unit.ranking_fakes import reference

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc).replace(microsecond=0)
AS_OF = NOW - timedelta(seconds=30)
SMALL = ranking.Plan(fan=8, levels=3, group_budget=30, fence_budget=6)


def skewed(n: int, *, plan: ranking.Plan, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rank = rng.choice([0] * 8 + [-1, -2, 100, 100] + list(range(0, 101, 10)) + [rng.randrange(101)])
        app_id = f"{rng.choice('kqz')}{rng.randrange(10 ** 6):06d}-{i}"
        rows.append({"tenant": "t1", "role_id": "job-1", "application_id": app_id, "rank_score": rank,
                     "score": rank if rank >= 0 else None, "status": "scored" if rank >= 0 else "unscored",
                     "ranked_at": AS_OF - timedelta(minutes=1), "computed_at": AS_OF - timedelta(minutes=1),
                     "rank_level": ranking.rank_level(app_id, fan=plan.fan, levels=plan.levels)})
    return rows


class Finds(monitoring.CommandListener):
    """The filters of every find on the scores collection, to explain afterwards."""

    def __init__(self):
        self.filters: list[dict] = []

    def started(self, event):
        if event.command_name == "find" and event.command.get("find") == "scores":
            self.filters.append(dict(event.command.get("filter") or {}))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def watched(servers, settings):
    finds = Finds()
    client = MongoClient(servers.mongo.uri, tz_aware=True, event_listeners=[finds])
    repo = MatchingRepository(client[settings.mongo_db])
    repo.ensure_indexes()
    yield repo, finds
    client.drop_database(settings.mongo_db)
    client.close()


def walk(queries: RecruiterQueries, *, low=-1, high=100, limit=10, as_of=AS_OF) -> list[list[dict]]:
    pages, after = [], None
    while True:
        found = queries.ranked("t1", "job-1", low=low, high=high, as_of=as_of, after=after, limit=limit + 1)
        pages.append(found[:limit])
        if len(found) <= limit:
            return pages
        after = (found[limit - 1]["rank_score"], found[limit - 1]["application_id"])


def ids(rows):
    return [r["application_id"] for r in rows]


def test_walking_every_page_on_the_server_lists_what_a_full_sort_gives_for_each_filter(watched):
    repo, _ = watched
    rows = skewed(1200, plan=SMALL)
    repo.scores.insert_many([dict(r) for r in rows])
    queries = RecruiterQueries(repo, plan=SMALL)
    for low, high in ((-1, 100), (0, 100), (60, 100), (-1, -1), (-2, -2), (100, 100)):
        listed = sum(walk(queries, low=low, high=high, limit=13), [])
        assert ids(listed) == ids(reference(rows, low=low, high=high, as_of=AS_OF, after=None, limit=10 ** 6))


def test_every_read_of_a_page_examines_an_index_range_bounded_by_the_page_not_by_the_role(watched):
    repo, finds = watched
    rows = skewed(3000, plan=SMALL, seed=2)
    repo.scores.insert_many([dict(r) for r in rows])
    queries = RecruiterQueries(repo, plan=SMALL)
    queries.ranked("t1", "job-1", low=-1, high=100, as_of=AS_OF, after=None, limit=11)  # builds the histogram
    rng = random.Random(3)
    for start in [None] + rng.sample(rows, 6):
        finds.filters.clear()
        after = None if start is None else (start["rank_score"], start["application_id"])
        page = queries.ranked("t1", "job-1", low=-1, high=100, as_of=AS_OF, after=after, limit=11)
        assert ids(page) == ids(reference(rows, low=-1, high=100, as_of=AS_OF, after=after, limit=11))
        examined = [_examined(repo, f) for f in finds.filters]
        assert max(examined) <= 60 and sum(examined) <= 120, (after, examined)
    assert _examined(repo, {"tenant": "t1", "role_id": "job-1", "rank_score": {"$gte": -1}}) > 2500  # the old plan


def test_a_score_in_a_bucket_the_histogram_counted_empty_is_listed_by_a_walk_that_began_after_it(watched):
    repo, _ = watched
    rows = skewed(200, plan=SMALL, seed=4)
    repo.scores.insert_many([dict(r) for r in rows if r["rank_score"] != 77])
    queries = RecruiterQueries(repo, plan=SMALL)
    queries.histograms.settle_s = 0.0  # this test stores its scores the moment it stamps them
    assert queries.ranked("t1", "job-1", low=77, high=77, as_of=AS_OF, after=None, limit=5) == []  # 77 counted empty
    time.sleep(0.01)
    stamped = datetime.now(timezone.utc)
    repo.scores.insert_one({**rows[0], "application_id": "newcomer", "rank_score": 77, "score": 77,
                            "ranked_at": stamped})
    time.sleep(0.01)
    assert queries.ranked("t1", "job-1", low=77, high=77, as_of=stamped - timedelta(milliseconds=5), after=None,
                          limit=5) == []  # ranked after that walk began: left out of it
    found = queries.ranked("t1", "job-1", low=77, high=77, as_of=datetime.now(timezone.utc), after=None, limit=5)
    assert ids(found) == ["newcomer"]
    assert repo.rank_histograms.find_one({"tenant": "t1", "role_id": "job-1"})["counts"]["77"] == 1


def test_another_tenants_scores_are_never_counted_or_listed(watched):
    repo, _ = watched
    rows = skewed(100, plan=SMALL, seed=5)
    repo.scores.insert_many([dict(r) for r in rows] + [{**r, "tenant": "t2"} for r in rows])
    queries = RecruiterQueries(repo, plan=SMALL)
    assert ids(sum(walk(queries), [])) == ids(reference(rows, low=-1, high=100, as_of=AS_OF, after=None, limit=999))
    stored = repo.rank_histograms.find_one({"tenant": "t1", "role_id": "job-1"})
    assert sum(stored["counts"].values()) == len(rows)


def _examined(repo: MatchingRepository, query: dict) -> int:
    explained = repo.scores.database.command("explain", {"find": "scores", "filter": query},
                                             verbosity="executionStats")
    return explained["executionStats"]["totalDocsExamined"]
