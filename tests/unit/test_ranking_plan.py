"""The ranked page's plan (ranking.walk): the same pages as one sort of everything, each read bounded by the page."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from services.matching import ranking

from tests.unit.ranking_fakes import ListSource, counts_of, reference

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
BEFORE, AFTER = AS_OF - timedelta(minutes=5), AS_OF + timedelta(seconds=1)
# Small enough that a few hundred scores cross fences of every level and groups of buckets.
TINY = ranking.Plan(fan=4, levels=3, group_budget=8, fence_budget=3)


def score(app_id: str, rank: int, *, ranked_at: datetime = BEFORE) -> dict:
    return {"application_id": app_id, "rank_score": rank, "ranked_at": ranked_at}


def skewed(n: int, *, seed: int = 1, moved: float = 0.0) -> list[dict]:
    """Many low scores, few high ones, some unscored and pending; ids in no useful order; some moved after AS_OF."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rank = rng.choice([0] * 6 + [-1, -2] + list(range(0, 101, 5)) + [rng.randrange(101)])
        when = AFTER if rng.random() < moved else BEFORE
        rows.append(score(f"{rng.choice('abcxyz')}{rng.randrange(10 ** 6):06d}-{i}", rank, ranked_at=when))
    return rows


def walk_all(rows, *, plan, low=-1, high=100, limit=7, counts=None, source=None):
    source = source or ListSource(rows, plan=plan)
    counts = counts_of(rows, as_of=AS_OF) if counts is None else counts
    pages, after = [], None
    while True:
        found = ranking.walk(source, counts, low=low, high=high, as_of=AS_OF, after=after, limit=limit + 1, plan=plan)
        pages.append(found[:limit])
        if len(found) <= limit:
            return pages
        after = (found[limit - 1]["rank_score"], found[limit - 1]["application_id"])


def ids(rows):
    return [r["application_id"] for r in rows]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_walking_every_page_lists_the_ranking_a_full_sort_gives_with_buckets_spanning_pages(seed, limit):
    rows = skewed(600, seed=seed, moved=0.1)
    pages = walk_all(rows, plan=TINY, limit=limit)
    assert ids(sum(pages, [])) == ids(reference(rows, low=-1, high=100, as_of=AS_OF, after=None, limit=10 ** 6))
    assert all(len(p) == limit for p in pages[:-1])


def test_ties_are_listed_in_application_id_order_across_a_page_boundary():
    rows = [score(f"app-{i:02d}", 50) for i in (7, 3, 9, 1, 5)] + [score("app-00", 60), score("app-99", 40)]
    pages = walk_all(rows, plan=TINY, limit=2)
    assert [ids(p) for p in pages] == [["app-00", "app-01"], ["app-03", "app-05"], ["app-07", "app-09"], ["app-99"]]


@pytest.mark.parametrize(("low", "high"), [(-2, -2), (-1, -1), (0, 100), (75, 100), (40, 40), (100, 100), (1, 0)])
def test_a_filter_is_a_range_of_rank_scores_and_lists_only_that_range(low, high):
    rows = skewed(400, seed=3)
    listed = sum(walk_all(rows, plan=TINY, low=low, high=high, limit=9), [])
    assert ids(listed) == ids(reference(rows, low=low, high=high, as_of=AS_OF, after=None, limit=10 ** 6))


def test_a_cursor_past_the_filtered_range_starts_at_its_top_and_one_below_it_lists_nothing():
    rows = [score("a", 90), score("b", 60), score("c", 50)]
    source, counts = ListSource(rows, plan=TINY), counts_of(rows, as_of=AS_OF)
    assert ids(ranking.walk(source, counts, low=50, high=60, as_of=AS_OF, after=(95, "z"), limit=5, plan=TINY)) == \
        ["b", "c"]
    assert ranking.walk(source, counts, low=50, high=60, as_of=AS_OF, after=(10, "a"), limit=5, plan=TINY) == []


def test_applications_that_move_between_pages_are_never_repeated_and_unchanged_ones_never_skipped():
    rows = skewed(500, seed=4)
    source, counts = ListSource(rows, plan=TINY), counts_of(rows, as_of=AS_OF)
    rng, listed, after = random.Random(9), [], None
    while True:
        found = ranking.walk(source, counts, low=-1, high=100, as_of=AS_OF, after=after, limit=11, plan=TINY)
        listed += found[:10]
        if len(found) <= 10:
            break
        after = (found[9]["rank_score"], found[9]["application_id"])
        # Between pages, some applications are re-scored: they get a new rank and a ranked_at after the walk began.
        for r in rng.sample(rows, 15):
            r["rank_score"], r["ranked_at"] = rng.randrange(-1, 101), AFTER
        source = ListSource(rows, plan=TINY)
        counts = {s: counts.get(s, 0) + n for s, n in counts_of(rows, as_of=AFTER).items()}  # only ever grows
    assert len(ids(listed)) == len(set(ids(listed)))
    unchanged = {r["application_id"] for r in rows if r["ranked_at"] <= AS_OF and r["rank_score"] >= -1}
    assert unchanged <= set(ids(listed))
    keys = [(-r["rank_score"], r["application_id"]) for r in listed if r["application_id"] in unchanged]
    assert keys == sorted(keys)


def test_counts_that_overstate_a_bucket_cost_a_read_but_change_nothing_listed():
    rows = skewed(300, seed=5)
    inflated = {s: 50 for s in range(-2, 101)}
    assert ids(sum(walk_all(rows, plan=TINY, counts=inflated), [])) == ids(sum(walk_all(rows, plan=TINY), []))


def test_a_bucket_counted_empty_is_not_read():
    rows = [score("a", 90), score("b", 60)]
    source = ListSource(rows, plan=TINY)
    found = ranking.walk(source, {60: 1}, low=-1, high=100, as_of=AS_OF, after=None, limit=5, plan=TINY)
    assert ids(found) == ["b"] and source.examined == 1


def test_fence_levels_are_a_stable_hash_of_the_id_and_thin_out_by_the_fan():
    levels = [ranking.rank_level(f"application-{i}") for i in range(200_000)]
    assert ranking.rank_level("application-7") == ranking.rank_level("application-7")
    share = sum(1 for x in levels if x >= 1) / len(levels)
    assert 1 / 64 * 0.85 < share < 1 / 64 * 1.15
    assert 0 < sum(1 for x in levels if x >= 2) < 200_000 / 64 / 10


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_a_page_reads_a_bounded_number_of_documents_however_many_scores_the_role_has(size):
    rows = skewed(size, seed=size)
    source, counts = ListSource(rows), counts_of(rows, as_of=AS_OF)
    first = ranking.walk(source, counts, low=-1, high=100, as_of=AS_OF, after=None, limit=51)
    assert ids(first) == ids(reference(rows, low=-1, high=100, as_of=AS_OF, after=None, limit=51))
    assert source.examined <= 400 and source.reads <= 8
    rng = random.Random(size)
    for _ in range(20):  # deep pages: inside the biggest bucket (0), and elsewhere
        start = rng.choice(rows)
        after = (start["rank_score"], start["application_id"])
        source.examined = source.reads = 0
        page = ranking.walk(source, counts, low=-1, high=100, as_of=AS_OF, after=after, limit=51)
        assert ids(page) == ids(reference(rows, low=-1, high=100, as_of=AS_OF, after=after, limit=51))
        assert source.examined <= 800 and source.reads <= 12, (after, counts.get(after[0]))
