"""Benchmarks matching: the ranked-candidates query at 10k, 100k (and 1M) scores of one role, and re-scorings/second.

Starts its own secantusdb (deploy/local/stack.py) on a free port in a temporary folder, seeds score
documents directly (insert_many; a realistic skew: many low scores, few high ones, some unscored), and times
recruiter.candidates_page, the exact code behind GET /v1/roles/<id>/candidates (`moved_since_start` count
included), for the first page and for pages reached by a cursor at random positions. Beside the timings it
prints what does not depend on the machine: round trips per page, and the documents the server examined for a
page (explain, executionStats: secantusdb materialises a query's whole index range, so that is its cost). Then
times full re-scorings of a role's applications (rescorer.rescore_role: bump, read the role, applications and
evidence, score, store with history, mark published) and the pure scoring function.

    make bench-matching            # or: .venv/bin/python bench/matching.py --sizes 10000,100000
    .venv/bin/python bench/matching.py --sizes 10000,100000,1000000   # the 1M figure; seeding takes minutes
"""
from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy" / "local")]

import stack  # noqa: E402
from pymongo import MongoClient, monitoring  # noqa: E402

from services.matching import recruiter, service  # noqa: E402
from services.matching.evidence import Lexicon  # noqa: E402
from services.matching.queries import RecruiterQueries  # noqa: E402
from services.matching.repository import MatchingRepository  # noqa: E402
from services.matching.rescorer import Rescorer, rescore_role  # noqa: E402
from services.matching.scoring import score_application  # noqa: E402
from services.matching.terms import starter_vocabulary  # noqa: E402

try:  # the fence level of a score (services/matching/ranking.py); this bench also measures the code before it
    from services.matching.ranking import rank_level
except ImportError:
    def rank_level(application_id: str) -> int:
        return 0

TENANT, ROLE_ID, RESCORE_ROLE, PAGE = "bench", "job-bench", "job-rescore", 50
SEED_BATCH = 10_000
NO_FILTERS = {"min_score": None, "status": None}
REQUIREMENTS = [{"id": "py", "competency": "Python programming", "importance": "essential", "weight": 2},
                {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1},
                {"id": "agile", "competency": "Agile", "importance": "preferred", "weight": 1}]


def skewed_score(rng: random.Random) -> int | None:
    """Many low scores, few high ones: 5% unscored, 30% zero, the rest falling off from 0 (mean ~22), capped at 100."""
    roll = rng.random()
    if roll < 0.05:
        return None
    return 0 if roll < 0.35 else min(100, int(rng.expovariate(1 / 22)))


def score_doc(i: int, score: int | None, when: datetime, rng: random.Random) -> dict:
    app_id = f"app-{i:07d}"
    return {"tenant": TENANT, "application_id": app_id, "role_id": ROLE_ID, "job_id": ROLE_ID,
            "candidate_id": f"cand-{i:07d}", "status": "scored" if score is not None else "unscored", "score": score,
            "rank_score": score if score is not None else -1, "rank_level": rank_level(app_id),
            "reason": "2 of 3 requirements met by verified credentials", "score_version": "bench",
            "computed_at": when, "ranked_at": when, "input_revision": 1, "role_revision": 1, "history": [],
            "requirements": [{"id": r["id"], "status": rng.choice(("met", "missing")), "reason": "x",
                              "credentials": []} for r in REQUIREMENTS]}


def seed(repo: MatchingRepository, *, start: int, stop: int, ranks: list[int]) -> None:
    rng = random.Random(start)
    for low in range(start, stop, SEED_BATCH):
        when = datetime.now(timezone.utc)  # stamped as it is stored, as the workers do (rank_histogram.py)
        docs = [score_doc(i, skewed_score(rng), when, rng) for i in range(low, min(low + SEED_BATCH, stop))]
        ranks.extend(d["rank_score"] for d in docs)
        repo.scores.insert_many(docs, ordered=False)


class Finds(monitoring.CommandListener):
    """Counts the commands sent, and keeps the filters of the finds on the scores (to explain them)."""

    def __init__(self) -> None:
        self.commands, self.filters = 0, []

    def started(self, event) -> None:
        self.commands += 1
        if event.command_name == "find" and event.command.get("find") == "scores":
            self.filters.append(dict(event.command.get("filter") or {}))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):8.2f} ms   p99 {p99:8.2f} ms   (n={len(ms)})"


def time_pages(queries: RecruiterQueries, *, ranks: list[int], samples: int,
               finds: Finds) -> tuple[list[float], list[float], list[int]]:
    """Timings of page one and of pages at random cursors, and the round trips of each page timed."""
    first, deep, trips = [], [], []
    query = {**NO_FILTERS, "limit": PAGE, "cursor": None}
    for _ in range(samples):
        finds.commands = 0
        started = time.perf_counter()
        page = recruiter.candidates_page(TENANT, ROLE_ID, query=query, queries=queries, role_exists=True)
        first.append(time.perf_counter() - started)
        trips.append(finds.commands)
        assert len(page["candidates"]) == PAGE
    as_of = datetime.now(timezone.utc) - timedelta(seconds=recruiter.SETTLE_S)
    for _ in range(samples):
        n = random.randrange(len(ranks))
        cursor = recruiter.encode_cursor(as_of=as_of, score=ranks[n], application_id=f"app-{n:07d}",
                                         filters=NO_FILTERS)
        finds.commands = 0
        started = time.perf_counter()
        recruiter.candidates_page(TENANT, ROLE_ID, query={**query, "cursor": cursor}, queries=queries, role_exists=True)
        deep.append(time.perf_counter() - started)
        trips.append(finds.commands)
    return first, deep, trips


def examined(repo: MatchingRepository, queries: RecruiterQueries, *, ranks: list[int], finds: Finds) -> list[int]:
    """Documents the server examined for page one and two pages at random cursors (summed over a page's reads)."""
    counts = []
    as_of = datetime.now(timezone.utc) - timedelta(seconds=recruiter.SETTLE_S)
    for n in [None] + [random.randrange(len(ranks)) for _ in range(2)]:
        finds.filters.clear()
        after = None if n is None else (ranks[n], f"app-{n:07d}")
        queries.ranked(TENANT, ROLE_ID, low=-1, high=100, as_of=as_of, after=after, limit=PAGE + 1)
        queries.moved_since(TENANT, ROLE_ID, as_of=as_of)
        counts.append(sum(repo.scores.database.command("explain", {"find": "scores", "filter": f},
                                                       verbosity="executionStats")["executionStats"]["totalDocsExamined"]
                          for f in list(finds.filters)))
    return counts


def time_rescoring(repo: MatchingRepository, *, count: int, role_id: str = RESCORE_ROLE, thread: bool = False,
                   loop_busy: bool = True) -> float:
    """Full re-scorings per second of a role's applications after the role changed: rescorer.rescore_role called
    back to back, or (`thread`) the matching worker's re-scoring thread, which paces itself (rescorer.REST_RATIO)
    while the consumer loop beside it is busy (`loop_busy`) and goes on at once while it is idle."""
    names = ("Python (computer programming)", "SQL", "Agile", "Kubernetes")
    now = datetime.now(timezone.utc)
    evidence, applications = [], []
    for i in range(count):
        app_id = f"{role_id}-{i:05d}"
        ids = [f"{app_id}-{k}" for k in range(3)]
        evidence += [{"tenant": TENANT, "credential_id": cid, "application_id": app_id, "candidate_id": f"c-{app_id}",
                      "created_at": now, "updated_at": now, "report": {
                          "verdict": "verified", "format": "vc-jwt", "checks": [], "checked_at": "2026-11-25T00:00:00Z",
                          "achievement": {"name": names[(i + k) % 4]}, "issuer": {"id": "did:key:z", "name": "Bench"}}}
                     for k, cid in enumerate(ids)]
        applications.append({"tenant": TENANT, "application_id": app_id, "job_id": role_id,
                             "candidate_id": f"c-{app_id}", "credential_ids": ids, "revision": 1,
                             "credentials_seen": {cid: now for cid in ids}, "created_at": now, "updated_at": now})
    repo.evidence.insert_many(evidence)
    repo.applications.insert_many(applications)
    service.lexicon_for(TENANT, repo=repo)  # builds the skills taxonomy (once per process) outside the timing
    repo.put_role(TENANT, role_id, title="Bench", requirements=REQUIREMENTS, job_ids=[])
    started = time.perf_counter()
    if thread:
        rescorer = Rescorer(repo=repo, publish=lambda events: None, busy=lambda: loop_busy)
        rescorer.start()
        while repo.roles_to_rescore():
            time.sleep(0.01)
        rescorer.stop()
        rescorer.join()
    else:
        while not rescore_role(TENANT, role_id, repo=repo, publish=lambda events: None).complete:
            pass
    elapsed = time.perf_counter() - started
    assert repo.scores.count_documents({"tenant": TENANT, "role_id": role_id}) == count
    return count / elapsed


def time_role_change(repo: MatchingRepository, *, count: int, role_id: str = RESCORE_ROLE) -> float:
    """Re-scorings per second after the role (already walked by time_rescoring) changes: each replaces the score
    stored before, a compare-and-swap keeping it in the history, where time_rescoring's store first scores."""
    changed = [*REQUIREMENTS[:2], {"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 1}]
    revision = repo.put_role(TENANT, role_id, title="Bench", requirements=changed, job_ids=[])[0]["revision"]
    started = time.perf_counter()
    while not rescore_role(TENANT, role_id, repo=repo, publish=lambda events: None).complete:
        pass
    elapsed = time.perf_counter() - started
    assert repo.scores.count_documents({"tenant": TENANT, "role_id": role_id, "role_revision": revision}) == count
    return count / elapsed


def time_pure_scoring(count: int) -> float:
    requirements = service.requirements_of({"requirements": REQUIREMENTS})
    now = datetime.now(timezone.utc)
    credentials = service.credentials_of({"credential_ids": []}, [
        {"credential_id": f"c{k}", "report": {"verdict": "verified", "achievement": {"name": n}}}
        for k, n in enumerate(("Python 3", "SQL", "Scrum"))], now=now)
    lexicon = Lexicon(vocabulary=starter_vocabulary())
    started = time.perf_counter()
    for _ in range(count):
        score_application(requirements=requirements, credentials=credentials, computed_at=now, lexicon=lexicon)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="score counts to measure at, ascending")
    parser.add_argument("--samples", type=int, default=20, help="timed queries per kind and size")
    parser.add_argument("--rescore", type=int, default=2000, help="applications to re-score for the rate")
    args = parser.parse_args()
    # A SIGTERM (a timeout, Ctrl-C from make) must still stop the database server below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    random.seed(6)
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        server = stack.MongoServer(port=stack.free_port(), storage=str(Path(tmp) / "db"), log_dir=Path(tmp)).start()
        finds = Finds()
        client = MongoClient(server.uri, tz_aware=True, event_listeners=[finds])
        try:
            repo = MatchingRepository(client["bench_matching"])
            repo.ensure_indexes()
            repo.put_role(TENANT, ROLE_ID, title="Bench", requirements=REQUIREMENTS, job_ids=[])
            queries, ranks = RecruiterQueries(repo), []
            for size in sorted(int(s) for s in args.sizes.split(",")):
                started = time.perf_counter()
                seed(repo, start=len(ranks), stop=size, ranks=ranks)
                print(f"seeded {size:>9,} scores for one role in {time.perf_counter() - started:6.1f} s "
                      f"({sum(1 for r in ranks if r <= 0):,} of them 0 or unscored)")
                time.sleep(recruiter.SETTLE_S)  # so that page one's as_of is after every seeded score
                started = time.perf_counter()
                queries.ranked(TENANT, ROLE_ID, low=-1, high=100, as_of=datetime.now(timezone.utc), after=None,
                               limit=1)
                print(f"  first read after seeding (counts the new scores into the role's histogram): "
                      f"{(time.perf_counter() - started) * 1000:9.1f} ms")
                first, deep, trips = time_pages(queries, ranks=ranks, samples=args.samples, finds=finds)
                print(f"  ranked candidates, first page of {PAGE}:  {percentiles(first)}")
                print(f"  ranked candidates, page at a cursor:  {percentiles(deep)}")
                docs = examined(repo, queries, ranks=ranks, finds=finds)
                print(f"  round trips per page: max {max(trips)}; documents the server examined for a page: "
                      f"first {docs[0]:,}, at cursors {', '.join(f'{d:,}' for d in docs[1:])}")
            print(f"full re-scorings (rescore_role: bump, read, score, store): "
                  f"{time_rescoring(repo, count=args.rescore):8.1f} /s")
            print(f"  after the role changes again (each replaces the score stored before): "
                  f"{time_role_change(repo, count=args.rescore):8.1f} /s")
            print(f"  by the worker's re-scoring thread, its consumer loop busy (it rests as long as each pass took): "
                  f"{time_rescoring(repo, count=args.rescore, role_id='job-rescore-thread', thread=True):8.1f} /s")
            print(f"  by the worker's re-scoring thread, its consumer loop idle (no rest): "
                  f"{time_rescoring(repo, count=args.rescore, role_id='job-rescore-idle', thread=True, loop_busy=False):8.1f} /s")
            print(f"pure scoring (3 requirements, 3 credentials):             {time_pure_scoring(20000):8.1f} /s")
        finally:
            client.close()
            server.stop()


if __name__ == "__main__":
    main()
